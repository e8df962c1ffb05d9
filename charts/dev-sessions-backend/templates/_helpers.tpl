{{- define "dsb.name" -}}{{ .Release.Name | trunc 53 | trimSuffix "-" }}{{- end }}

{{- define "dsb.labels" -}}
app.kubernetes.io/name: dev-sessions-backend
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end }}

{{- define "dsb.selector" -}}
app.kubernetes.io/name: dev-sessions-backend
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/* The backend's identity as the API server sees it (the admission policies match it). */}}
{{- define "dsb.user" -}}
system:serviceaccount:{{ .Release.Namespace }}:{{ .Values.serviceAccount.name }}
{{- end }}
