{{/* Chart name: names objects (with the release name), never labels or selectors. */}}
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

{{/*
  Selector labels. They never change for a release (a Deployment's selector is immutable), so
  they follow neither nameOverride nor fullnameOverride: app.kubernetes.io/name is the chart's
  own name.
*/}}
{{- define "dev-session.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/*
  Labels that never change with the chart's version: the session pod carries only these (plus
  podLabels), so a chart upgrade that changes nothing in the pod does not restart the session.
  Call with (dict "ctx" $ "component" "name").
*/}}
{{- define "dev-session.stableLabels" -}}
{{- $ := .ctx -}}
{{ include "dev-session.selectorLabels" $ }}
app.kubernetes.io/component: {{ .component | quote }}
app.kubernetes.io/part-of: dev-session
app.kubernetes.io/managed-by: {{ $.Release.Service | quote }}
dev-sessions.io/project-uuid: {{ include "dev-session.projectUuid" $ | quote }}
{{- end }}

{{/* Labels on every object but the session pod. Call with (dict "ctx" $ "component" "name"). */}}
{{- define "dev-session.labels" -}}
{{- $ := .ctx -}}
helm.sh/chart: {{ printf "%s-%s" $.Chart.Name $.Chart.Version | replace "+" "_" | quote }}
app.kubernetes.io/version: {{ $.Chart.AppVersion | quote }}
{{ include "dev-session.stableLabels" . }}
{{- end }}

{{/*
  Labels of the session pod: .Values.podLabels first, then ours on top, so podLabels can never
  replace the project UUID, the selector labels or any other label of the chart (the schema
  refuses those keys too). No chart version: see dev-session.stableLabels.
*/}}
{{- define "dev-session.podLabels" -}}
{{- $ours := include "dev-session.stableLabels" (dict "ctx" . "component" "session") | fromYaml -}}
{{- $labels := dict -}}
{{- range $k, $v := .Values.podLabels | default dict }}
{{- if not (or (hasKey $ours $k) (hasPrefix "dev-sessions.io/" $k) (eq $k "helm.sh/chart") (eq $k "app.kubernetes.io/version")) }}
{{- $_ := set $labels $k (toString $v) }}
{{- end }}
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

{{/* imagePullSecrets of the pods and the ServiceAccount (a list of Secret names). */}}
{{- define "dev-session.imagePullSecrets" -}}
{{- range .Values.imagePullSecrets }}
- name: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
  An image reference: repository@digest when a digest is given (the digest pins the image; the
  tag is then left out), else repository:tag. The tag is always a string (the schema refuses
  numbers: YAML reads 4.10 as 4.1). Call with (dict "image" .image "what" "containers.x.image").
*/}}
{{- define "dev-session.image" -}}
{{- $i := .image -}}
{{- if $i.digest }}
{{- printf "%s@%s" $i.repository $i.digest }}
{{- else if $i.tag }}
{{- printf "%s:%s" $i.repository (toString $i.tag) }}
{{- else }}
{{- fail (printf "%s needs a tag or a digest" .what) }}
{{- end }}
{{- end }}

{{- define "dev-session.roles" -}}
preview
chat
vscode
{{- end }}

{{/* The chosen size preset. */}}
{{- define "dev-session.preset" -}}
{{- $p := index .Values.presets .Values.size -}}
{{- if not $p }}{{ fail (printf "size %q is not one of the presets (%s)" .Values.size (keys .Values.presets | sortAlpha | join ", ")) }}{{ end -}}
{{- toYaml $p }}
{{- end }}

{{/*
  CPU quantity in millicores, exactly ("500m", "2", "1.5", "0.25"; a number from values too).
  The schema allows at most three decimals, so nothing is rounded; a number with more is
  rounded up.
*/}}
{{- define "dev-session.milliCpu" -}}
{{- $v := . -}}
{{- if or (kindIs "float64" $v) (kindIs "float32" $v) }}
{{- ceil (round (mulf $v 1000) 6) | int64 }}
{{- else if or (kindIs "int" $v) (kindIs "int64" $v) }}
{{- mul $v 1000 }}
{{- else }}
{{- $s := toString $v -}}
{{- if hasSuffix "m" $s }}
{{- trimSuffix "m" $s | atoi }}
{{- else }}
{{- $parts := splitList "." $s -}}
{{- $milli := mul (first $parts | atoi) 1000 -}}
{{- if gt (len $parts) 1 }}
{{- $frac := printf "%s000" (index $parts 1) -}}
{{- $milli = add $milli (substr 0 3 $frac | atoi) -}}
{{- if gt (len (index $parts 1)) 3 }}{{ $milli = add $milli 1 }}{{ end -}}
{{- end }}
{{- $milli }}
{{- end }}
{{- end }}
{{- end }}

{{/*
  Memory or storage quantity in bytes, exactly (Ki Mi Gi Ti Pi Ei, k M G T P E, e<n>, plain
  bytes; a fraction such as "1.5Gi", which the API may return, is rounded up to a whole byte).
*/}}
{{- define "dev-session.bytes" -}}
{{- $s := toString . -}}
{{- $factors := dict "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "Pi" 1125899906842624 "Ei" 1152921504606846976 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "P" 1000000000000000 "E" 1000000000000000000 -}}
{{- $num := regexFind "^[0-9]*\\.?[0-9]*" $s -}}
{{- $suffix := trimPrefix $num $s -}}
{{- $factor := 1 -}}
{{- if hasKey $factors $suffix }}
{{- $factor = index $factors $suffix -}}
{{- else if regexMatch "^[eE][0-9]+$" $suffix }}
{{- range until (substr 1 (len $suffix) $suffix | int) }}{{ $factor = mul $factor 10 }}{{ end -}}
{{- else if $suffix }}
{{- fail (printf "%q is not a memory or storage quantity" $s) }}
{{- end }}
{{- if contains "." $num }}
{{- ceil (mulf (float64 $num) $factor) | int64 }}
{{- else }}
{{- mul ($num | atoi) $factor }}
{{- end }}
{{- end }}

{{/* A cpu (millicores) or memory (bytes) quantity, exactly. Call with (list "cpu"|"memory" value). */}}
{{- define "dev-session.quantity" -}}
{{- if eq (index . 0) "cpu" }}
{{- include "dev-session.milliCpu" (index . 1) }}
{{- else }}
{{- include "dev-session.bytes" (index . 1) }}
{{- end }}
{{- end }}

{{/* Bytes as MiB, rounded up (for budgets: never smaller than the quantity itself). */}}
{{- define "dev-session.ceilMi" -}}
{{- div (add (. | int64) 1048575) 1048576 }}
{{- end }}

{{/*
  Effective resources of one role: the role's share of the size preset, with
  containers.<role>.resources over it. A limit set below the preset's request brings the
  request down with it; a request set above its limit is refused. Call with
  (dict "ctx" $ "role" "chat"); returns YAML {requests, limits} with the quantities as written.
*/}}
{{- define "dev-session.containerResources" -}}
{{- $ := .ctx -}}
{{- $role := .role -}}
{{- $preset := include "dev-session.preset" $ | fromYaml -}}
{{- $base := index ($preset.resources | default dict) $role | default dict -}}
{{- $own := (index $.Values.containers $role).resources | default dict -}}
{{- $out := dict "requests" dict "limits" dict -}}
{{- range $kind := list "cpu" "memory" }}
{{- $limit := (($own.limits | default dict) | dig $kind "" ) | default ((($base.limits | default dict)) | dig $kind "") -}}
{{- if eq (toString $limit) "" }}
{{- fail (printf "containers.%s: no %s limit (neither containers.%s.resources.limits.%s nor presets.%s.resources.%s.limits.%s is set)" $role $kind $role $kind $.Values.size $role $kind) }}
{{- end }}
{{- $request := ($own.requests | default dict) | dig $kind "" -}}
{{- $l := include "dev-session.quantity" (list $kind $limit) | int64 -}}
{{- if ne (toString $request) "" }}
{{- $r := include "dev-session.quantity" (list $kind $request) | int64 -}}
{{- if gt $r $l }}
{{- fail (printf "containers.%s.resources.requests.%s (%v) is above the container's %s limit (%v): raise containers.%s.resources.limits.%s too" $role $kind $request $kind $limit $role $kind) }}
{{- end }}
{{- else }}
{{- $request = (($base.requests | default dict)) | dig $kind "" -}}
{{- if ne (toString $request) "" }}
{{- $r := include "dev-session.quantity" (list $kind $request) | int64 -}}
{{- if gt $r $l }}{{ $request = $limit }}{{ end -}}
{{- end }}
{{- end }}
{{- $_ := set $out.limits $kind $limit -}}
{{- if ne (toString $request) "" }}{{ $_ := set $out.requests $kind $request }}{{ end -}}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
  The budget of the session: each role's effective resources in exact units (millicores,
  bytes), their sums, and the largest limit of any container as written. Used by the quota and
  the LimitRange, so both always admit the chart's own pod.
*/}}
{{- define "dev-session.budget" -}}
{{- $b := dict "cpuReq" 0 "cpuLim" 0 "memReq" 0 "memLim" 0 "maxCpu" 0 "maxCpuQ" "" "maxMem" 0 "maxMemQ" "" -}}
{{- range $role := include "dev-session.roles" . | splitList "\n" }}
{{- $r := include "dev-session.containerResources" (dict "ctx" $ "role" $role) | fromYaml }}
{{- $cl := include "dev-session.milliCpu" $r.limits.cpu | int64 }}
{{- $ml := include "dev-session.bytes" $r.limits.memory | int64 }}
{{- $cr := include "dev-session.milliCpu" ($r.requests.cpu | default $r.limits.cpu) | int64 }}
{{- $mr := include "dev-session.bytes" ($r.requests.memory | default $r.limits.memory) | int64 }}
{{- $_ := set $b "cpuReq" (add $b.cpuReq $cr) }}
{{- $_ = set $b "cpuLim" (add $b.cpuLim $cl) }}
{{- $_ = set $b "memReq" (add $b.memReq $mr) }}
{{- $_ = set $b "memLim" (add $b.memLim $ml) }}
{{- if gt $cl (int64 $b.maxCpu) }}{{ $_ = set $b "maxCpu" $cl }}{{ $_ = set $b "maxCpuQ" (toString $r.limits.cpu) }}{{ end }}
{{- if gt $ml (int64 $b.maxMem) }}{{ $_ = set $b "maxMem" $ml }}{{ $_ = set $b "maxMemQ" (toString $r.limits.memory) }}{{ end }}
{{- end }}
{{- toYaml $b }}
{{- end }}

{{/*
  The session's volumes. Their claim names are fixed (they follow neither the release name nor
  nameOverride/fullnameOverride), every claim carries helm.sh/resource-policy: keep (no upgrade,
  rollback or uninstall deletes it; deleting the session's namespace does), and an existing
  claim is never shrunk: its immutable fields (class, access modes) are kept as they are.
  Returns YAML: a list of {key, claim, valuesPath, mountPath, render, count, size, sizeBytes,
  accessModes, storageClassName?, existing}.
*/}}
{{- define "dev-session.volumes" -}}
{{- $ := . -}}
{{- $preset := include "dev-session.preset" . | fromYaml -}}
{{- $vols := list -}}
{{- $specs := list
  (dict "key" "workspace" "claim" "dev-session-workspace" "valuesPath" "storage.size" "enabled" true "explicit" (.Values.storage.size | default "" | toString) "fallback" ($preset.storage | default "" | toString) "mountPath" .Values.storage.mountPath "existingClaim" (.Values.storage.existingClaim | default ""))
  (dict "key" "history" "claim" "dev-session-history" "valuesPath" "storage.history.size" "enabled" .Values.storage.history.enabled "explicit" (.Values.storage.history.size | default "" | toString) "fallback" "" "mountPath" .Values.storage.history.mountPath "existingClaim" "")
  (dict "key" "agent-config" "claim" "dev-session-agent-config" "valuesPath" "storage.agentConfig.size" "enabled" .Values.storage.agentConfig.enabled "explicit" (.Values.storage.agentConfig.size | default "" | toString) "fallback" "" "mountPath" .Values.storage.agentConfig.mountPath "existingClaim" "")
-}}
{{- range $specs }}
{{- $live := lookup "v1" "PersistentVolumeClaim" $.Release.Namespace .claim -}}
{{- $v := dict "key" .key "claim" .claim "valuesPath" .valuesPath "mountPath" .mountPath "existing" (not (empty $live)) -}}
{{- $wanted := .explicit | default .fallback -}}
{{- if not $wanted }}{{ fail (printf "%s is not set%s" .valuesPath (ternary (printf " and neither is presets.%s.storage" $.Values.size) "" (eq .key "workspace"))) }}{{ end -}}
{{- $size := $wanted -}}
{{- $bytes := include "dev-session.bytes" $wanted | int64 -}}
{{- if $live }}
{{- $current := $live.spec.resources.requests.storage | toString -}}
{{- $cur := include "dev-session.bytes" $current | int64 -}}
{{- if lt $bytes $cur }}
{{- if and .explicit .enabled (not .existingClaim) }}
{{- fail (printf "%s: %s is smaller than the session's existing claim %s (%s); a PersistentVolumeClaim cannot shrink, so its data would be lost. Keep %s or more%s" .valuesPath $wanted .claim $current $current (ternary " (or leave storage.size empty: a size preset never shrinks the workspace)" "" (eq .key "workspace"))) }}
{{- end }}
{{- $size = $current }}{{ $bytes = $cur }}
{{- end }}
{{- $_ := set $v "accessModes" $live.spec.accessModes -}}
{{- if hasKey $live.spec "storageClassName" }}{{ $_ := set $v "storageClassName" (toString $live.spec.storageClassName) }}{{ end -}}
{{- else }}
{{- $_ := set $v "accessModes" (ternary $.Values.storage.accessModes (list "ReadWriteOnce") (eq .key "workspace")) -}}
{{- with $.Values.storage.storageClass }}{{ $_ := set $v "storageClassName" (ternary "" . (eq . "-")) }}{{ end -}}
{{- end }}
{{- $_ := set $v "size" $size -}}
{{- $_ = set $v "sizeBytes" $bytes -}}
{{- $_ = set $v "mounted" (and .enabled (not .existingClaim)) -}}
{{- $_ = set $v "render" (and .enabled (not .existingClaim)) -}}
{{- /* the quota counts what the namespace holds: rendered claims, kept ones and an existingClaim */ -}}
{{- $_ = set $v "count" (or .enabled (not (empty $live))) -}}
{{- if and (not .enabled) $live }}{{ $_ = set $v "sizeBytes" (include "dev-session.bytes" ($live.spec.resources.requests.storage | toString) | int64) }}{{ end -}}
{{- $vols = append $vols $v -}}
{{- end }}
{{- toYaml $vols }}
{{- end }}

{{/*
  Checks that the API server would refuse otherwise, with a clear message: the three ports are
  distinct, and the history and agent-config volumes are not mounted at the workspace's path
  (the schema keeps every mount path out of /tmp, the chart's scratch directory, and the
  system directories).
*/}}
{{- define "dev-session.check" -}}
{{- $seen := dict -}}
{{- range $role := include "dev-session.roles" . | splitList "\n" }}
{{- $port := (index $.Values.service $role).port | int | toString -}}
{{- if hasKey $seen $port }}
{{- fail (printf "service.%s.port and service.%s.port are both %s: the three roles need three different ports" (index $seen $port) $role $port) }}
{{- end }}
{{- $_ := set $seen $port $role -}}
{{- end }}
{{- $ws := .Values.storage.mountPath -}}
{{- range $key := list "history" "agentConfig" }}
{{- $vol := index $.Values.storage $key -}}
{{- if and $vol.enabled (eq $vol.mountPath $ws) }}
{{- fail (printf "storage.%s.mountPath and storage.mountPath are both %s: each volume needs its own path" $key $ws) }}
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
