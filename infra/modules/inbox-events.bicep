// Blob-created events of inbox/ reach the InboxTrigger function (blob trigger with the Event Grid source) through an
// Event Grid system topic on the media account. Events that cannot be delivered after the retries are written to the
// dead-letter container by the topic's own identity (Storage Blob Data Contributor on that container only).
param name string
param location string
param tags object
param mediaStorageName string
param inboxContainer string
param deadLetterContainer string

@description('Create the subscription: only once the app runs the PlateBlur image, since Event Grid validates the webhook on creation.')
param subscribe bool

@secure()
@description('The InboxTrigger webhook (runtime/webhooks/blobs with the blobs_extension system key).')
param webhookUrl string

var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource media 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: mediaStorageName

  resource blobs 'blobServices' existing = {
    name: 'default'

    resource deadLetters 'containers' existing = {
      name: deadLetterContainer
    }
  }
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: media.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(media::blobs::deadLetters.id, topic.id, blobDataContributor)
  scope: media::blobs::deadLetters
  properties: {
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
  }
}

resource inbox 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (subscribe) {
  parent: topic
  name: 'inbox-to-plateblur'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: webhookUrl
        // One blob per request: each event only starts an orchestration, and a batch would share one failure.
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/${inboxContainer}/blobs/'
    }
    // Retries with back-off for a day (covers a cold start or a redeploy), then dead-lettering.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: media.id
          blobContainerName: deadLetterContainer
        }
      }
    }
  }
  dependsOn: [deadLetterWriter]
}

output name string = topic.name
output subscribed bool = subscribe
