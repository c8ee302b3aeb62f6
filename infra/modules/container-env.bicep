// The Container Apps environment: workload-profiles type, so the Consumption profile allows replicas of up to
// 4 vCPU / 8 GiB (a consumption-only environment stops at 2 vCPU / 4 GiB). Logs go to Log Analytics through
// Azure Monitor diagnostic settings, so no workspace key is handed around.
param name string
param location string
param tags object
param logAnalyticsId string

resource env 'Microsoft.App/managedEnvironments@2026-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: { destination: 'azure-monitor' }
    workloadProfiles: [
      { name: 'Consumption', workloadProfileType: 'Consumption' }
    ]
    zoneRedundant: false
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs-to-workspace'
  scope: env
  properties: {
    workspaceId: logAnalyticsId
    logs: [
      { categoryGroup: 'allLogs', enabled: true }
    ]
  }
}

output id string = env.id
output name string = env.name
