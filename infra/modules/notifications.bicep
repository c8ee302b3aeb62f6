// PlateBlur's own events (PlateBlur.MediaAnonymized, PlateBlur.QcFailed, PlateBlur.AnonymizationFailed) as CloudEvents 1.0.
// Entra ID only: the app publishes with its managed identity (EventGrid Data Sender); access keys are disabled.
// Subscribers (a webhook, a queue, Logic Apps...) are added by whoever consumes the events.
param name string
param location string
param tags object

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    minimumTlsVersionAllowed: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

output name string = topic.name
output endpoint string = topic.properties.endpoint
