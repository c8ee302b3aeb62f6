// The PlateBlur Functions app as an Azure Functions app on Azure Container Apps (kind 'functionapp'): the image from the
// repository's Dockerfile (Functions host + .NET 10 isolated worker + ffmpeg + the models), scaled by KEDA rules on the
// Durable Task queues so that each pending segment gets a replica.
param name string
param location string
param tags object

@description('azure.yaml service name; azd finds the app by this tag.')
param serviceName string

param environmentId string
param identityId string
param registryServer string

@description('Image to run: the one azd deployed last, or a public Functions placeholder before the first deploy.')
param image string

@description('App settings (environment variables) by name.')
param appSettings object

@description('vCPU per replica (Consumption profile: at most 4).')
param cpu string

@description('Memory per replica (Consumption profile: 2 GiB per vCPU, at most 8Gi).')
param memory string

param minReplicas int
param maxReplicas int

@description('Storage account of the Durable Task hub (AzureWebJobsStorage).')
param hostStorageName string

@description('host.json extensions.durableTask.hubName.')
param taskHubName string

@description('host.json extensions.durableTask.storageProvider.partitionCount.')
param partitionCount int

@secure()
@description('Functions master key.')
param masterKey string

@secure()
@description('Functions default host key.')
param defaultHostKey string

@secure()
@description('System key of the blob extension: the Event Grid webhook of the blob trigger presents it.')
param blobsExtensionKey string

@secure()
@description('System key of the Durable Task extension.')
param durableExtensionKey string

// Functions host keys live in Container Apps secrets (AzureWebJobsSecretStorageType=containerapp), mounted as files named the
// way the host looks them up. The host never writes them, so the keys are fixed and known here: the Event Grid
// subscription can be created with the blobs_extension system key in the same deployment.
var keyFiles = [
  { secret: 'host-master', path: 'host.master' }
  { secret: 'host-function-default', path: 'host.function.default' }
  { secret: 'host-systemkey-blobs-extension', path: 'host.systemKey.blobs_extension' }
  { secret: 'host-systemkey-durabletask-extension', path: 'host.systemKey.durabletask_extension' }
]

// Durable Task (Azure Storage backend) queue names: '<hub>-workitems' carries activities (one segment each),
// '<hub>-control-NN' the orchestrations. Queue names are lower case.
var hub = toLower(taskHubName)

var activityRule = {
  // One replica per pending or running activity: host.json runs one activity per instance (maxConcurrentActivityFunctions 1).
  // KEDA's queue scaler counts visible and invisible (in-flight) messages, so busy replicas are still counted.
  name: 'activities'
  azureQueue: {
    accountName: hostStorageName
    queueName: '${hub}-workitems'
    queueLength: 1
    identity: identityId
  }
}

// Orchestrator turns are short and I/O free: one replica serves many; these rules only wake the app for them.
var orchestrationRules = [for i in range(0, partitionCount): {
  name: 'orchestrations-${padLeft(i, 2, '0')}'
  azureQueue: {
    accountName: hostStorageName
    queueName: '${hub}-control-${padLeft(i, 2, '0')}'
    queueLength: 20
    identity: identityId
  }
}]

var webhookRule = {
  name: 'event-grid-webhook'
  http: { metadata: { concurrentRequests: '20' } }
}

resource app 'Microsoft.App/containerApps@2026-07-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      // Public HTTPS ingress for Event Grid's webhook deliveries (runtime/webhooks/blobs, system key required).
      // The app has no HTTP functions; every host endpoint needs a key.
      ingress: {
        external: true
        targetPort: 80
        transport: 'auto'
        allowInsecure: false
      }
      registries: [
        { server: registryServer, identity: identityId }
      ]
      secrets: [
        { name: keyFiles[0].secret, value: masterKey }
        { name: keyFiles[1].secret, value: defaultHostKey }
        { name: keyFiles[2].secret, value: blobsExtensionKey }
        { name: keyFiles[3].secret, value: durableExtensionKey }
      ]
    }
    template: {
      // Give a replica that is scaled in time to finish its segment (the host drains running invocations on SIGTERM).
      terminationGracePeriodSeconds: 600
      containers: [
        {
          name: 'plateblur'
          image: image
          resources: { cpu: json(cpu), memory: memory }
          env: [for s in items(appSettings): { name: s.key, value: s.value }]
          volumeMounts: [
            { volumeName: 'functions-keys', mountPath: '/run/secrets/functions-keys' }
          ]
        }
      ]
      volumes: [
        {
          name: 'functions-keys'
          storageType: 'Secret'
          secrets: [for k in keyFiles: { secretRef: k.secret, path: k.path }]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        pollingInterval: 15
        cooldownPeriod: 300
        // The platform's own rules for Functions triggers do not cover Durable Functions on the Azure Storage backend:
        // replace them with rules on the task hub's queues, plus HTTP for the Event Grid webhook.
        allowScalingRuleOverride: true
        rules: concat([activityRule], orchestrationRules, [webhookRule])
      }
    }
  }
}

output name string = app.name
output fqdn string = app.properties.configuration.ingress.fqdn
@description('Event Grid webhook for the InboxTrigger function (contains the blobs_extension system key).')
@secure()
output inboxWebhookUrl string = 'https://${app.properties.configuration.ingress.fqdn}/runtime/webhooks/blobs?functionName=Host.Functions.InboxTrigger&code=${blobsExtensionKey}'
