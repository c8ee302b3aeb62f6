// Log Analytics (Container Apps console/system logs) and workspace-based Application Insights (Functions telemetry).
// Local (instrumentation-key) ingestion is off: the app sends telemetry with its managed identity.
param logAnalyticsName string
param appInsightsName string
param location string
param tags object

@description('Days Log Analytics keeps data.')
param retentionInDays int

resource logs 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

output logAnalyticsId string = logs.id
output appInsightsName string = appInsights.name
output appInsightsConnectionString string = appInsights.properties.ConnectionString
