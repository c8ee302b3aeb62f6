// PlateBlur on Azure, deployed by `azd up` (see infra/README.md): an Azure Functions app on Azure Container Apps built from
// the repository's Dockerfile, its storage, events, monitoring and a managed identity with least-privilege roles.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------------------------------
// azd environment

@minLength(1)
@maxLength(64)
@description('azd environment name; resource names and the azd-env-name tag derive from it.')
param environmentName string

@minLength(1)
@description('Region of every resource.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the person running azd (AZURE_PRINCIPAL_ID): gets blob access to the media account to try it out. Empty: nobody.')
param principalId string = ''

@description('The image azd deployed last (SERVICE_PLATEBLUR_IMAGE_NAME). Empty before the first deploy: the app runs a public Functions placeholder and the inbox subscription waits (Event Grid validates the webhook when the subscription is created).')
param appImage string = ''

@secure()
@description('Seed of the Functions host keys (the Event Grid webhook uses the blobs_extension system key). azd generates it once and keeps it in .azure/<env>/config.json.')
@metadata({ azd: { type: 'generate', config: { length: 48, noSpecial: true } } })
param functionsKeySeed string

// ---------------------------------------------------------------------------------------------------------------------
// Pipeline settings people change (app settings PlateBlur__<Name>; defaults are PlateBlurOptions' defaults)

@minValue(2)
@maxValue(600)
@description('PlateBlur__SegmentSeconds: length of a video segment, the unit of the fan-out (one replica each).')
param segmentSeconds int = 10

@minValue(1)
@maxValue(256)
@description('PlateBlur__MaxSegmentsInFlight: segments of one video processed at once.')
param maxSegmentsInFlight int = 4

@minValue(0)
@maxValue(1000)
@description('PlateBlur__QcSamples: output frames re-detected by QC per video.')
param qcSamples int = 12

@description('PlateBlur__QcThreshold: detector score at which a QC frame still shows a plate (the output goes to quarantine); empty = the model\'s own from models/manifest.json.')
param qcThreshold string = ''

@allowed(['delete', 'keep', 'move'])
@description('PlateBlur__SourcePolicy: what happens to inbox/ after a verified output passed QC (move = to archive/).')
param sourcePolicy string = 'delete'

@allowed(['Blur', 'Pixelate', 'Fill'])
@description('PlateBlur__Mode: how a plate is covered.')
param maskMode string = 'Blur'

@allowed(['plateblur-plate-800', 'hyperlpr3-640', 'hyperlpr3-320'])
@description('PlateBlur__Model: plate detector from models/manifest.json (baked into the image): PlateBlur\'s own (default) or the original HyperLPR3 models.')
param model string = 'plateblur-plate-800'

@description('PlateBlur__Detection: how much work goes into finding plates: Fast (whole frame + tiles in turn), Balanced (+ crops around vehicles), Thorough (every tile and vehicle on every frame).')
@allowed(['Fast', 'Balanced', 'Thorough'])
param detection string = 'Balanced'

@description('PlateBlur__FailSecure: mask the plate zone of vehicles on which no plate was found lately (needs Balanced or Thorough detection).')
param failSecure bool = false

@description('PlateBlur__Threshold: detector score that masks a plate (recall first: low); empty = the model\'s own default from models/manifest.json.')
param threshold string = ''

@description('PlateBlur__MaxInputBytes: larger inputs go to quarantine. Split and Stitch hold the whole video (plus its copy) on the replica\'s disk, 8 GiB on the Consumption profile: see infra/README.md.')
param maxInputBytes int = 21474836480

@description('PlateBlur__EventSource: the CloudEvents "source" of PlateBlur\'s notifications.')
param eventSource string = '/plateblur'

// ---------------------------------------------------------------------------------------------------------------------
// Capacity

@minValue(0)
@description('Replicas kept running when idle (0: scale to zero, first event waits for a cold start).')
param minReplicas int = 0

@minValue(1)
@maxValue(1000)
@description('Most replicas at once = most segments processed at once across all videos.')
param maxReplicas int = 20

@allowed(['1.0', '2.0', '4.0'])
@description('vCPU per replica; ffmpeg and ONNX Runtime use them all.')
param replicaCpu string = '4.0'

@allowed(['2Gi', '4Gi', '8Gi'])
@description('Memory per replica (Consumption profile: 2 GiB per vCPU).')
param replicaMemory string = '8Gi'

@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_RAGRS', 'Standard_GZRS', 'Standard_RAGZRS'])
@description('Redundancy of the media account.')
param mediaStorageSku string = 'Standard_LRS'

@minValue(1)
@maxValue(365)
@description('Days a deleted or overwritten media blob can be restored (blob soft delete).')
param softDeleteDays int = 7

@minValue(30)
@maxValue(730)
@description('Days Log Analytics keeps logs.')
param logRetentionDays int = 30

// ---------------------------------------------------------------------------------------------------------------------

var serviceName = 'plateblur'
var tags = { 'azd-env-name': environmentName }
var token = toLower(uniqueString(subscription().id, environmentName, location))

// Containers of the pipeline (PlateBlur.Orchestration Containers.All) and the dead-letter container for inbox events.
var containers = ['inbox', 'outbox', 'quarantine', 'archive', 'work', 'edits', 'events-failed']
var deadLetterContainer = 'deadletter'

// host.json: extensions.durableTask.hubName and storageProvider.partitionCount (a test keeps them in step).
var taskHubName = 'PlateBlur'
var partitionCount = 4

// Where the image keeps the models it fetched (and sha256-checked) at build time: see Dockerfile.
var modelsDir = '/opt/plateblur/models'

// A public Functions image that starts without PlateBlur's settings, used until azd deploys the real one.
var placeholderImage = 'mcr.microsoft.com/azure-functions/dotnet8-quickstart-demo:1.0'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: { name: 'id-plateblur-${token}', location: location, tags: tags }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${token}'
    appInsightsName: 'appi-${token}'
    location: location
    tags: tags
    retentionInDays: logRetentionDays
  }
}

module media 'modules/storage-media.bicep' = {
  name: 'storage-media'
  scope: rg
  params: {
    name: 'stmedia${token}'
    location: location
    tags: tags
    skuName: mediaStorageSku
    softDeleteDays: softDeleteDays
    containers: containers
    deadLetterContainer: deadLetterContainer
    workRetentionDays: 1
    deadLetterRetentionDays: 30
  }
}

module hostStorage 'modules/storage-host.bicep' = {
  name: 'storage-host'
  scope: rg
  params: { name: 'sthost${token}', location: location, tags: tags, skuName: 'Standard_LRS' }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: { name: 'cr${token}', location: location, tags: tags }
}

module notifications 'modules/notifications.bicep' = {
  name: 'notifications'
  scope: rg
  params: { name: 'evgt-plateblur-${token}', location: location, tags: tags }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    mediaStorageName: media.outputs.name
    hostStorageName: hostStorage.outputs.name
    topicName: notifications.outputs.name
    registryName: registry.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module containerEnv 'modules/container-env.bicep' = {
  name: 'container-env'
  scope: rg
  params: { name: 'cae-${token}', location: location, tags: tags, logAnalyticsId: monitoring.outputs.logAnalyticsId }
}

// Every setting the app reads (local.settings.sample.json lists the same names; tests/PlateBlur.Functions.Tests checks both).
var appSettings = {
  // Functions host
  FUNCTIONS_WORKER_RUNTIME: 'dotnet-isolated'
  AzureWebJobsStorage__accountName: hostStorage.outputs.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  AzureWebJobsSecretStorageType: 'containerapp'
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  // In Azure, inbox/ events arrive through Event Grid; the polling sweep is for local runs only.
  'AzureWebJobs.InboxSweep.Disabled': 'true'
  PlateBlur__SweepSchedule: '*/10 * * * * *'

  // The pipeline's storage (blob trigger connection and the app's blob client), by identity
  PlateBlurStorage__blobServiceUri: media.outputs.blobEndpoint
  PlateBlurStorage__queueServiceUri: media.outputs.queueEndpoint
  PlateBlurStorage__credential: 'managedidentity'
  PlateBlurStorage__clientId: identity.outputs.clientId

  // Detection, tracking, redaction, encoding (PlateBlurOptions defaults)
  PlateBlur__Model: model
  PlateBlur__Detection: detection
  PlateBlur__VehicleModel: 'yolox-nano'
  PlateBlur__FailSecure: string(failSecure)
  PlateBlur__FailSecureMinVehicleHeight: '24'
  PlateBlur__Threshold: threshold
  PlateBlur__ContinueThreshold: ''
  PlateBlur__Tiles: 'true'
  PlateBlur__TileEvery: '0'
  PlateBlur__TileOverlap: '0.25'
  PlateBlur__WholeSide: '0'
  PlateBlur__CoarseSide: '160'
  PlateBlur__KeySeconds: '-1'
  PlateBlur__ScanSeconds: '-1'
  PlateBlur__MirrorEdges: 'false'
  PlateBlur__PhotoSearch: 'Full'
  PlateBlur__GapSeconds: '0.4'
  PlateBlur__ExtendSeconds: '0.2'
  PlateBlur__CoastSeconds: '0.6667'
  PlateBlur__Mode: maskMode
  PlateBlur__Pad: '0.15'
  PlateBlur__Polygon: 'false'
  PlateBlur__Codec: 'Auto'
  PlateBlur__Crf: ''
  PlateBlur__Preset: 'medium'
  PlateBlur__KeepLocation: 'false'
  PlateBlur__Threads: '0'
  PlateBlur__InferenceLanes: '2'
  PlateBlur__ExecutionProvider: 'cpu'

  // Pipeline
  PlateBlur__SegmentSeconds: string(segmentSeconds)
  PlateBlur__SegmentOverlapFrames: '24'
  PlateBlur__MaxSegmentsInFlight: string(maxSegmentsInFlight)
  PlateBlur__QcSamples: string(qcSamples)
  PlateBlur__QcThreshold: qcThreshold
  PlateBlur__SourcePolicy: sourcePolicy
  PlateBlur__MaxInputBytes: string(maxInputBytes)
  PlateBlur__MaxSide: '8192'
  PlateBlur__MaxMegapixels: '40'
  PlateBlur__MaxDurationSeconds: '14400'
  PlateBlur__MaxFrames: '1000000'
  PlateBlur__MaxStreams: '16'

  // Notifications: CloudEvents to the custom topic with the managed identity (no key)
  PlateBlur__EventGridTopicEndpoint: notifications.outputs.endpoint
  PlateBlur__EventGridTopicKey: ''
  PlateBlur__ManagedIdentityClientId: identity.outputs.clientId
  PlateBlur__EventSource: eventSource
  PlateBlur__NotifyAttempts: '5'
  PlateBlur__NotifyRetrySeconds: '2'

  // Models baked into the image; scratch space on the replica's disk
  PLATEBLUR_MODELS_DIR: modelsDir
  PLATEBLUR_MODELS_MIRROR: ''
  PLATEBLUR_WORK_DIR: '/tmp/plateblur-work'
}

module app 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: 'ca-plateblur-${token}'
    location: location
    tags: tags
    serviceName: serviceName
    environmentId: containerEnv.outputs.id
    identityId: identity.outputs.id
    registryServer: registry.outputs.loginServer
    image: empty(appImage) ? placeholderImage : appImage
    appSettings: appSettings
    cpu: replicaCpu
    memory: replicaMemory
    minReplicas: minReplicas
    maxReplicas: maxReplicas
    hostStorageName: hostStorage.outputs.name
    taskHubName: taskHubName
    partitionCount: partitionCount
    // Host keys derived from the generated seed: stable across provisions (no rotation, so the webhook keeps working),
    // different per environment, never stored in the repository.
    masterKey: replace(guid(functionsKeySeed, 'master'), '-', '')
    defaultHostKey: replace(guid(functionsKeySeed, 'default'), '-', '')
    blobsExtensionKey: replace(guid(functionsKeySeed, 'blobs_extension'), '-', '')
    durableExtensionKey: replace(guid(functionsKeySeed, 'durabletask_extension'), '-', '')
  }
  // The app pulls from the registry and reads storage with its identity from the first start.
  dependsOn: [roles]
}

module inboxEvents 'modules/inbox-events.bicep' = {
  name: 'inbox-events'
  scope: rg
  params: {
    name: 'evgst-inbox-${token}'
    location: location
    tags: tags
    mediaStorageName: media.outputs.name
    inboxContainer: containers[0]
    deadLetterContainer: deadLetterContainer
    subscribe: !empty(appImage)
    webhookUrl: app.outputs.inboxWebhookUrl
  }
}

// azd reads these (AZURE_CONTAINER_REGISTRY_ENDPOINT to push the image) and keeps them in .azure/<env>/.env.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
output AZURE_CONTAINER_ENVIRONMENT_NAME string = containerEnv.outputs.name
output PLATEBLUR_APP_NAME string = app.outputs.name
output PLATEBLUR_APP_URL string = 'https://${app.outputs.fqdn}'
output PLATEBLUR_STORAGE_ACCOUNT string = media.outputs.name
output PLATEBLUR_EVENT_GRID_TOPIC_ENDPOINT string = notifications.outputs.endpoint
output PLATEBLUR_INBOX_SUBSCRIBED bool = inboxEvents.outputs.subscribed
