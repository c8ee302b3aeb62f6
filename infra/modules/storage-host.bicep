// The Functions host's storage account (connection AzureWebJobsStorage): host leases and the Durable Task hub
// (Azure Storage backend: control and work-item queues, history and instance tables, large-message blobs).
// Kept apart from the media account so the task hub's churn never mixes with media, soft delete and lifecycle rules.
param name string
param location string
param tags object

@description('Storage redundancy.')
param skuName string

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: skuName }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

output id string = storage.id
output name string = storage.name
