{{/*
Names, labels, images and the pieces every workload shares. The six services are data
(.Values.services); every template ranges over them, so adding a service is a values change plus an
image, not a new template.
*/}}

{{- define "uwallet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-uwallet, or the release name alone when it already contains the chart name. */}}
{{- define "uwallet.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "uwallet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "uwallet.labels" -}}
helm.sh/chart: {{ include "uwallet.chart" . }}
app.kubernetes.io/name: {{ include "uwallet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: uwallet
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selects every pod of this release (the default-deny NetworkPolicy uses it). */}}
{{- define "uwallet.releaseSelector" -}}
app.kubernetes.io/name: {{ include "uwallet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selects the pods of one component: (dict "ctx" $ "component" "auth"). */}}
{{- define "uwallet.selectorLabels" -}}
{{ include "uwallet.releaseSelector" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Object name of one component: <fullname>-<component>. */}}
{{- define "uwallet.componentName" -}}
{{- printf "%s-%s" (include "uwallet.fullname" .ctx) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "uwallet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "uwallet.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image of one service: (dict "ctx" $ "name" "auth" "svc" $svc). */}}
{{- define "uwallet.image" -}}
{{- $image := .ctx.Values.image -}}
{{- $own := .svc.image | default dict -}}
{{- $registry := $own.registry | default $image.registry -}}
{{- $repository := $own.repository | default (printf "%s-%s" $image.repository .name) -}}
{{- $tag := $own.tag | default $image.tag | default .ctx.Chart.AppVersion -}}
{{- $digest := $own.digest | default "" -}}
{{- $ref := ternary $repository (printf "%s/%s" $registry $repository) (empty $registry) -}}
{{- if $digest -}}
{{- printf "%s@%s" $ref $digest -}}
{{- else -}}
{{- printf "%s:%s" $ref (toString $tag) -}}
{{- end -}}
{{- end -}}

{{/* "registry/repository:tag" of an in-cluster helper (postgresql, redis). */}}
{{- define "uwallet.simpleImage" -}}
{{- if .registry -}}
{{- printf "%s/%s:%s" .registry .repository (toString .tag) -}}
{{- else -}}
{{- printf "%s:%s" .repository (toString .tag) -}}
{{- end -}}
{{- end -}}

{{/* ---------------------------------------------------------------- secrets */}}

{{/* The chart's own Secret (identity key, generated or given passwords). */}}
{{- define "uwallet.secretName" -}}
{{- include "uwallet.fullname" . -}}
{{- end -}}

{{/* A value for the chart's Secret: given in values, else the one already stored in the cluster
     (so upgrades keep it), else .generated, else random alphanumerics.
     (dict "ctx" $ "key" "identity-key" "value" "" "length" 64 ["generated" "..."]) */}}
{{- define "uwallet.secretValue" -}}
{{- if .value -}}
{{- .value -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace (include "uwallet.secretName" .ctx) -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key | b64dec -}}
{{- else if .generated -}}
{{- .generated -}}
{{- else -}}
{{- randAlphaNum (int .length) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "uwallet.totpSecretName" -}}
{{- default (include "uwallet.secretName" .) .Values.totp.existingSecret -}}
{{- end -}}

{{- define "uwallet.totpSecretKey" -}}
{{- if .Values.totp.existingSecret -}}{{ .Values.totp.existingSecretKey }}{{- else -}}totp-key{{- end -}}
{{- end -}}

{{- define "uwallet.paymentsKeysSecretName" -}}
{{- default (include "uwallet.secretName" .) .Values.paymentsKeys.existingSecret -}}
{{- end -}}

{{- define "uwallet.identitySecretName" -}}
{{- default (include "uwallet.secretName" .) .Values.identity.existingSecret -}}
{{- end -}}

{{- define "uwallet.identitySecretKey" -}}
{{- if .Values.identity.existingSecret -}}{{ .Values.identity.existingSecretKey }}{{- else -}}identity-key{{- end -}}
{{- end -}}

{{/* PostgreSQL: host, port, database, user, sslmode from the in-cluster or the external one. */}}
{{- define "uwallet.pg.host" -}}
{{- if .Values.postgresql.enabled -}}{{ include "uwallet.componentName" (dict "ctx" . "component" "postgresql") }}{{- else -}}{{ .Values.externalDatabase.host }}{{- end -}}
{{- end -}}
{{- define "uwallet.pg.port" -}}
{{- if .Values.postgresql.enabled -}}5432{{- else -}}{{ .Values.externalDatabase.port }}{{- end -}}
{{- end -}}

{{/* libpq keyword/value DSN without the password (that comes from PGPASSWORD, a Secret). */}}
{{- define "uwallet.pg.dsn" -}}
{{- if .Values.postgresql.enabled -}}
{{- printf "host=%s port=5432 dbname=%s user=%s sslmode=disable connect_timeout=5" (include "uwallet.pg.host" .) .Values.postgresql.database .Values.postgresql.user -}}
{{- else -}}
{{- $db := .Values.externalDatabase -}}
{{- $dsn := printf "host=%s port=%v dbname=%s user=%s sslmode=%s connect_timeout=5" $db.host $db.port $db.database $db.user $db.sslmode -}}
{{- if $db.options -}}{{- $dsn = printf "%s %s" $dsn $db.options -}}{{- end -}}
{{- $dsn -}}
{{- end -}}
{{- end -}}

{{/* Secret name and key holding the PostgreSQL password; empty name: no password (e.g. trust/cert auth). */}}
{{- define "uwallet.pg.secretName" -}}
{{- if .Values.postgresql.enabled -}}
{{- include "uwallet.secretName" . -}}
{{- else if .Values.externalDatabase.existingSecret -}}
{{- .Values.externalDatabase.existingSecret -}}
{{- else if .Values.externalDatabase.password -}}
{{- include "uwallet.secretName" . -}}
{{- end -}}
{{- end -}}
{{- define "uwallet.pg.secretKey" -}}
{{- if and (not .Values.postgresql.enabled) .Values.externalDatabase.existingSecret -}}{{ .Values.externalDatabase.existingSecretPasswordKey }}{{- else -}}postgres-password{{- end -}}
{{- end -}}

{{- define "uwallet.redis.addr" -}}
{{- if .Values.redis.enabled -}}
{{- printf "%s:6379" (include "uwallet.componentName" (dict "ctx" . "component" "redis")) -}}
{{- else -}}
{{- printf "%s:%v" .Values.externalRedis.host .Values.externalRedis.port -}}
{{- end -}}
{{- end -}}
{{- define "uwallet.redis.port" -}}
{{- if .Values.redis.enabled -}}6379{{- else -}}{{ .Values.externalRedis.port }}{{- end -}}
{{- end -}}
{{- define "uwallet.redis.secretName" -}}
{{- if .Values.redis.enabled -}}
{{- if .Values.redis.auth.enabled -}}{{ include "uwallet.secretName" . }}{{- end -}}
{{- else if .Values.externalRedis.existingSecret -}}
{{- .Values.externalRedis.existingSecret -}}
{{- else if .Values.externalRedis.password -}}
{{- include "uwallet.secretName" . -}}
{{- end -}}
{{- end -}}
{{- define "uwallet.redis.secretKey" -}}
{{- if and (not .Values.redis.enabled) .Values.externalRedis.existingSecret -}}{{ .Values.externalRedis.existingSecretPasswordKey }}{{- else -}}redis-password{{- end -}}
{{- end -}}

{{/* ---------------------------------------------------------------- TLS */}}

{{- define "uwallet.tls.serverSecret" -}}
{{- $own := index (.ctx.Values.tls.secrets | default dict) .name | default dict -}}
{{- $own.server | default (printf "%s-tls" (include "uwallet.componentName" (dict "ctx" .ctx "component" .name))) -}}
{{- end -}}
{{- define "uwallet.tls.clientSecret" -}}
{{- $own := index (.ctx.Values.tls.secrets | default dict) .name | default dict -}}
{{- $own.client | default (printf "%s-client-tls" (include "uwallet.componentName" (dict "ctx" .ctx "component" .name))) -}}
{{- end -}}

{{- define "uwallet.tls.mountPath" -}}/etc/uwallet/tls{{- end -}}

{{/* ---------------------------------------------------------------- pods */}}

{{- define "uwallet.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext -}}
{{- end -}}

{{- define "uwallet.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext -}}
{{- end -}}

{{/* Environment for the database connection: (dict "ctx" $). */}}
{{- define "uwallet.env.database" -}}
- name: UWALLET_PG_DSN
  value: {{ include "uwallet.pg.dsn" .ctx | quote }}
{{- $secret := include "uwallet.pg.secretName" .ctx }}
{{- if $secret }}
# libpq reads the password from PGPASSWORD: it never appears in the DSN or on the command line.
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ include "uwallet.pg.secretKey" .ctx }}
{{- end }}
{{- end -}}

{{/* uwctl health arguments for one service (probes and helm test): (dict "ctx" $ "name" "auth" "address" "127.0.0.1:50051"). */}}
{{- define "uwallet.uwctlHealthArgs" -}}
- /usr/local/bin/uwctl
- health
{{- if .ctx.Values.tls.enabled }}
- --tls-ca={{ include "uwallet.tls.mountPath" . }}/client/ca.crt
- --tls-cert={{ include "uwallet.tls.mountPath" . }}/client/tls.crt
- --tls-key={{ include "uwallet.tls.mountPath" . }}/client/tls.key
- --tls-server-name={{ include "uwallet.componentName" (dict "ctx" .ctx "component" .name) }}
{{- end }}
{{- if .wait }}
- --wait={{ .wait }}
{{- end }}
{{- if .healthService }}
- --service={{ .healthService }}
{{- end }}
- {{ .address }}
{{- end -}}

{{/* One probe (native gRPC, or uwctl over TLS since kubelet's gRPC probe cannot do TLS):
     (dict "ctx" $ "name" "auth" "port" 50051 "timing" .Values.probes.readiness). */}}
{{- define "uwallet.grpcProbe" -}}
{{- if .ctx.Values.tls.enabled }}
exec:
  command:
{{ include "uwallet.uwctlHealthArgs" (dict "ctx" .ctx "name" .name "address" (printf "127.0.0.1:%v" .port) "healthService" .healthService) | indent 4 }}
{{- else }}
grpc:
  port: {{ .port }}
  {{- if .healthService }}
  service: {{ .healthService }}
  {{- end }}
{{- end }}
{{ toYaml .timing }}
{{- end -}}

{{/* ---------------------------------------------------------------- network policy */}}

{{/* Egress rule to PostgreSQL: the in-cluster pod, or networkPolicy.externalDatabase.to on its port. */}}
{{- define "uwallet.np.databaseEgress" -}}
- ports:
    - port: {{ include "uwallet.pg.port" . }}
      protocol: TCP
  {{- if .Values.postgresql.enabled }}
  to:
    - podSelector:
        matchLabels:
          {{- include "uwallet.selectorLabels" (dict "ctx" . "component" "postgresql") | nindent 10 }}
  {{- else if .Values.networkPolicy.externalDatabase.to }}
  to:
    {{- toYaml .Values.networkPolicy.externalDatabase.to | nindent 4 }}
  {{- end }}
{{- end -}}

{{- define "uwallet.np.redisEgress" -}}
- ports:
    - port: {{ include "uwallet.redis.port" . }}
      protocol: TCP
  {{- if .Values.redis.enabled }}
  to:
    - podSelector:
        matchLabels:
          {{- include "uwallet.selectorLabels" (dict "ctx" . "component" "redis") | nindent 10 }}
  {{- else if .Values.networkPolicy.externalRedis.to }}
  to:
    {{- toYaml .Values.networkPolicy.externalRedis.to | nindent 4 }}
  {{- end }}
{{- end -}}
