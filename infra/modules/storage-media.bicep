// The pipeline's storage account (connection PlateBlurStorage): inbox/outbox/quarantine/archive/work and the dead-letter
// container for inbox events. Entra ID only (no shared key), no anonymous access, TLS 1.2+, blob soft delete,
// and lifecycle rules that clean up what the pipeline leaves behind when it crashes.
param name string
param location string
param tags object

@description('Storage redundancy.')
param skuName string

@description('Days a deleted blob or container can be restored.')
param softDeleteDays int

@description('Containers of the pipeline (PlateBlur.Orchestration Containers.All).')
param containers string[]

@description('Container that receives inbox events Event Grid could not deliver.')
param deadLetterContainer string

@description('Days after which work/ leftovers (segments of a crashed run) are deleted.')
param workRetentionDays int

@description('Days dead-lettered inbox events are kept.')
param deadLetterRetentionDays int

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

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: softDeleteDays }
    containerDeleteRetentionPolicy: { enabled: true, days: softDeleteDays }
  }
}

resource pipelineContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = [for c in concat(containers, [deadLetterContainer]): {
  parent: blobs
  name: c
  properties: { publicAccess: 'None' }
}]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-06-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          // Cleanup normally removes work/<id>/; this catches runs that died before it (crash, purge, deleted instance).
          name: 'remove-work-leftovers'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob', 'appendBlob'], prefixMatch: ['work/'] }
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: workRetentionDays } } }
          }
        }
        {
          // Dead letters name inbox blobs (file names can be personal data): keep them long enough to act on, not forever.
          name: 'expire-dead-letters'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['${deadLetterContainer}/'] }
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: deadLetterRetentionDays } } }
          }
        }
      ]
    }
  }
  dependsOn: [pipelineContainers]
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
