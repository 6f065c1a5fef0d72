{{/* Names and labels. */}}
{{- define "heddle.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "heddle.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "heddle.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "heddle.selectorLabels" -}}
app.kubernetes.io/name: {{ include "heddle.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "heddle.labels" -}}
helm.sh/chart: {{ include "heddle.chart" . }}
{{ include "heddle.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: heddle
{{- end }}

{{/* Name of one worker Deployment: ctx = dict "root" $ "worker" $w */}}
{{- define "heddle.workerName" -}}
{{- printf "%s-worker-%s" (include "heddle.fullname" .root) .worker.name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
`values` over `defaults`, key by key (a `false` or `0` in values wins, unlike sprig's merge), as YAML:
  include "heddle.withDefaults" (dict "defaults" $.Values.worker.pdb "values" $w.pdb) | fromYaml
*/}}
{{- define "heddle.withDefaults" -}}
{{- $out := deepCopy .defaults }}
{{- range $key, $value := (default dict .values) }}
{{- $_ := set $out $key $value }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{- define "heddle.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "heddle.secretName" -}}
{{- default (include "heddle.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{- define "heddle.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "heddle.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The worker consumers (WORKER_CONSUMER_NAMES in libs/config/src/env-server.ts; a chart test keeps the
two lists equal).
*/}}
{{- define "heddle.consumerNames" -}}
maintenance,host-health,harness,outbox,webhooks,notify,inbox
{{- end }}

{{/* Fails unless the workers together run every consumer (or allowUncoveredConsumers is set). */}}
{{- define "heddle.checkConsumers" -}}
{{- $covered := list }}
{{- $names := list }}
{{- range .Values.workers }}
{{- if has .name $names }}
{{- fail (printf "workers: the name %q is used twice" .name) }}
{{- end }}
{{- $names = append $names .name }}
{{- range (splitList "," (toString .consumers)) }}
{{- $c := trim . }}
{{- if eq $c "all" }}
{{- $covered = concat $covered (splitList "," (include "heddle.consumerNames" $)) }}
{{- else if $c }}
{{- if not (has $c (splitList "," (include "heddle.consumerNames" $))) }}
{{- fail (printf "workers: unknown consumer %q (known: %s, or all)" $c (include "heddle.consumerNames" $)) }}
{{- end }}
{{- $covered = append $covered $c }}
{{- end }}
{{- end }}
{{- end }}
{{- if not .Values.allowUncoveredConsumers }}
{{- $missing := list }}
{{- range (splitList "," (include "heddle.consumerNames" .)) }}
{{- /* inbox is optional: it does nothing unless INBOX_DIR is set (docs/inbox.md). */}}
{{- if and (not (has . $covered)) (ne . "inbox") }}
{{- $missing = append $missing . }}
{{- end }}
{{- end }}
{{- if $missing }}
{{- fail (printf "workers: no worker runs %s; add them to an entry's consumers (or set allowUncoveredConsumers when another release runs them)" (join ", " $missing)) }}
{{- end }}
{{- end }}
{{- end }}

{{/* One variable from the Secret; optional ones may be absent from it. ctx = dict "root" $ "name" "X" "optional" bool */}}
{{- define "heddle.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "heddle.secretName" .root }}
      key: {{ .name }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}

{{/* Variables every api and worker container gets: the Secret's, OIDC, then `env` and `extraEnv`. */}}
{{- define "heddle.commonEnv" -}}
{{ include "heddle.secretEnv" (dict "root" . "name" "DATABASE_URL") }}
{{ include "heddle.secretEnv" (dict "root" . "name" "REDIS_URL") }}
{{ include "heddle.secretEnv" (dict "root" . "name" "HEDDLE_ENCRYPTION_KEY") }}
{{ include "heddle.secretEnv" (dict "root" . "name" "HEDDLE_BOOTSTRAP_TOKEN" "optional" true) }}
{{ include "heddle.secretEnv" (dict "root" . "name" "OIDC_CLIENT_SECRET" "optional" true) }}
{{ include "heddle.secretEnv" (dict "root" . "name" "SESSION_SECRET" "optional" true) }}
{{ include "heddle.secretEnv" (dict "root" . "name" "METRICS_TOKEN" "optional" true) }}
{{- with .Values.oidc.issuerUrl }}
- name: OIDC_ISSUER_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.oidc.clientId }}
- name: OIDC_CLIENT_ID
  value: {{ . | quote }}
{{- end }}
{{- include "heddle.envMap" .Values.env }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* A name → value map as env entries, leaving out empty values. */}}
{{- define "heddle.envMap" -}}
{{- range $name, $value := . }}
{{- if not (eq (toString $value) "") }}
- name: {{ $name }}
  value: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* The emptyDir at /tmp (the root filesystem is read-only). */}}
{{- define "heddle.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{- define "heddle.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Pod annotations: `extra` plus a checksum of the chart's Secret, so pods restart when it changes. ctx = dict "root" $ "extra" map */}}
{{- define "heddle.podAnnotations" -}}
{{- $annotations := deepCopy (default dict .extra) }}
{{- if not .root.Values.secret.existingSecret }}
{{- $_ := set $annotations "checksum/secret" (include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum) }}
{{- end }}
{{- with $annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* "true" when the worker entry runs the inbox consumer and the inbox volume is on. ctx = dict "root" $ "worker" entry */}}
{{- define "heddle.workerInbox" -}}
{{- if .root.Values.inbox.enabled }}
{{- if not .root.Values.inbox.existingClaim }}
{{- fail "inbox.enabled needs inbox.existingClaim: the PersistentVolumeClaim the watched inbox lives on" }}
{{- end }}
{{- $consumers := splitList "," (.worker.consumers | nospace) }}
{{- if or (has "all" $consumers) (has "inbox" $consumers) }}true{{- end }}
{{- end }}
{{- end }}
