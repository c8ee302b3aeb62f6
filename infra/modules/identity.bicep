// The app's one identity: every data-plane call (blob, queue, table, Event Grid, ACR pull, App Insights ingestion) uses it.
@description('Name of the user-assigned managed identity.')
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
