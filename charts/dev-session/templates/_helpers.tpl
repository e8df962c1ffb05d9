{{/* Chart name. */}}
{{- define "dev-session.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: leaves room for the longest suffix ("-preview", 8 chars) within 63. */}}
{{- define "dev-session.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 55 | trimSuffix "-" }}
{{- else if contains (include "dev-session.name" .) .Release.Name }}
{{- .Release.Name | trunc 55 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "dev-session.name" .) | trunc 55 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "dev-session.projectUuid" -}}
{{- required "project.uuid is required: the UUID of the project this session belongs to" .Values.project.uuid }}
{{- end }}

{{/* Selector labels (stable across upgrades). */}}
{{- define "dev-session.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dev-session.name" . | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/* Labels on every object. Call with (dict "ctx" $ "component" "name"). */}}
{{- define "dev-session.labels" -}}
{{- $ := .ctx -}}
helm.sh/chart: {{ printf "%s-%s" $.Chart.Name $.Chart.Version | replace "+" "_" | quote }}
{{ include "dev-session.selectorLabels" $ }}
app.kubernetes.io/version: {{ $.Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ .component | quote }}
app.kubernetes.io/part-of: dev-session
app.kubernetes.io/managed-by: {{ $.Release.Service | quote }}
dev-sessions.io/project-uuid: {{ include "dev-session.projectUuid" $ | quote }}
{{- end }}

{{/*
  Labels of the session pod: .Values.podLabels first, then ours on top, so podLabels can never
  replace the project UUID, the selector labels or any other label of the chart.
*/}}
{{- define "dev-session.podLabels" -}}
{{- $ours := include "dev-session.labels" (dict "ctx" . "component" "session") | fromYaml -}}
{{- $labels := dict -}}
{{- range $k, $v := .Values.podLabels | default dict }}
{{- if not (hasKey $ours $k) }}{{ $_ := set $labels $k (toString $v) }}{{ end }}
{{- end }}
{{- toYaml (merge $labels $ours) }}
{{- end }}

{{- define "dev-session.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dev-session.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The chosen size preset. */}}
{{- define "dev-session.preset" -}}
{{- $p := index .Values.presets .Values.size -}}
{{- if not $p }}{{ fail (printf "size %q is not one of the presets (%s)" .Values.size (keys .Values.presets | sortAlpha | join ", ")) }}{{ end -}}
{{- toYaml $p }}
{{- end }}

{{/* Effective resources of one container: container override > .Values.resources > preset. */}}
{{- define "dev-session.containerResources" -}}
{{- $ := .ctx -}}
{{- $preset := include "dev-session.preset" $ | fromYaml -}}
{{- $r := deepCopy $preset.resources -}}
{{- $r = mergeOverwrite $r (deepCopy ($.Values.resources | default dict)) -}}
{{- $r = mergeOverwrite $r (deepCopy (.container.resources | default dict)) -}}
{{- toYaml $r }}
{{- end }}

{{- define "dev-session.storageSize" -}}
{{- $preset := include "dev-session.preset" . | fromYaml -}}
{{- default $preset.storage .Values.storage.size }}
{{- end }}

{{/* CPU quantity to millicores ("2", "1.5", "500m"). */}}
{{- define "dev-session.milliCpu" -}}
{{- $v := toString . -}}
{{- if hasSuffix "m" $v }}{{ trimSuffix "m" $v | int }}{{ else }}{{ round (mulf (float64 $v) 1000) 0 | int }}{{ end }}
{{- end }}

{{/*
  Memory or storage quantity to MiB, rounded UP (Ki, Mi, Gi, Ti; k, M, G, T; plain bytes), so a
  budget computed from it is never smaller than the quantity itself (4G = 3814.7Mi -> 3815).
*/}}
{{- define "dev-session.memMi" -}}
{{- $v := toString . -}}
{{- $units := list (list "Ki" 1024) (list "Mi" 1048576) (list "Gi" 1073741824) (list "Ti" 1099511627776) (list "k" 1000) (list "M" 1000000) (list "G" 1000000000) (list "T" 1000000000000) -}}
{{- $bytes := -1 -}}
{{- range $units }}
{{- if and (lt $bytes 0) (hasSuffix (index . 0) $v) }}
{{- $bytes = mul (trimSuffix (index . 0) $v | int64) (index . 1) }}
{{- end }}
{{- end }}
{{- if lt $bytes 0 }}{{ $bytes = $v | int64 }}{{ end -}}
{{- div (add $bytes 1048575) 1048576 }}
{{- end }}

{{- define "dev-session.roles" -}}
preview
chat
vscode
{{- end }}

{{/* Secret: PVC name of the workspace. */}}
{{- define "dev-session.workspaceClaim" -}}
{{- default (printf "%s-workspace" (include "dev-session.fullname" .)) .Values.storage.existingClaim }}
{{- end }}

{{- define "dev-session.storageClass" -}}
{{- if .Values.storage.storageClass }}
{{- if eq "-" .Values.storage.storageClass }}
storageClassName: ""
{{- else }}
storageClassName: {{ .Values.storage.storageClass | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Base URL of one role's ingress ("" when ingress is off). */}}
{{- define "dev-session.ingressUrl" -}}
{{- $ := .ctx -}}
{{- $scheme := ternary "https" "http" $.Values.ingress.tls.enabled -}}
{{- if and $.Values.ingress.enabled $.Values.ingress.host -}}
{{- if eq $.Values.ingress.mode "host" -}}
{{ printf "%s://%s.%s/" $scheme .role $.Values.ingress.host }}
{{- else -}}
{{ printf "%s://%s%s" $scheme $.Values.ingress.host (index $.Values.service .role).path }}
{{- end -}}
{{- end -}}
{{- end }}
