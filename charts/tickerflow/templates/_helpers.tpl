{{/* Names */}}
{{- define "tickerflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tickerflow.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<component>", for a dict with root and component */}}
{{- define "tickerflow.componentName" -}}
{{- printf "%s-%s" (include "tickerflow.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "true" when a component runs (dict with root and component), else empty: the producer and consumer always do. */}}
{{- define "tickerflow.enabled" -}}
{{- $values := index .root.Values (ternary "simulator" .component (eq .component "finnhub-sim")) -}}
{{- if or (not (hasKey $values "enabled")) $values.enabled }}true{{ end -}}
{{- end -}}

{{- define "tickerflow.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "tickerflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tickerflow
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of a component's objects, for a dict with root and component */}}
{{- define "tickerflow.componentLabels" -}}
{{ include "tickerflow.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tickerflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tickerflow.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tickerflow.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Names of shared objects */}}
{{- define "tickerflow.symbolsConfigMap" -}}{{ include "tickerflow.fullname" . }}-symbols{{- end -}}
{{- define "tickerflow.producerStateConfigMap" -}}{{ include "tickerflow.fullname" . }}-producer-state{{- end -}}
{{- define "tickerflow.simulatorName" -}}{{ include "tickerflow.fullname" . }}-finnhub-sim{{- end -}}

{{- define "tickerflow.finnhubSecret" -}}
{{- if .Values.finnhub.existingSecret -}}
{{- .Values.finnhub.existingSecret -}}
{{- else -}}
{{- include "tickerflow.fullname" . }}-finnhub
{{- end -}}
{{- end -}}

{{- define "tickerflow.finnhubSecretKey" -}}
{{- if .Values.finnhub.existingSecret -}}{{ .Values.finnhub.existingSecretKey }}{{- else -}}token{{- end -}}
{{- end -}}

{{- define "tickerflow.finnhubUrl" -}}
{{- if .Values.simulator.enabled -}}
{{- printf "ws://%s:8080" (include "tickerflow.simulatorName" .) -}}
{{- else -}}
{{- .Values.finnhub.url -}}
{{- end -}}
{{- end -}}

{{/* Kafka */}}
{{- define "tickerflow.strimziCluster" -}}
{{- default (printf "%s-kafka" (include "tickerflow.fullname" .)) .Values.kafka.strimzi.cluster -}}
{{- end -}}

{{- define "tickerflow.scram" -}}
{{- if and (eq .Values.kafka.mode "strimzi") (eq .Values.kafka.strimzi.authentication "scram-sha-512") -}}true{{- end -}}
{{- end -}}

{{- define "tickerflow.kafkaBootstrap" -}}
{{- if eq .Values.kafka.mode "strimzi" -}}
{{- printf "%s-kafka-bootstrap:%d" (include "tickerflow.strimziCluster" .) (int .Values.kafka.strimzi.listener.port) -}}
{{- else -}}
{{- required "kafka.external.bootstrapServers is required with kafka.mode=external" .Values.kafka.external.bootstrapServers -}}
{{- end -}}
{{- end -}}

{{- define "tickerflow.kafkaUser" -}}
{{- include "tickerflow.componentName" . -}}
{{- end -}}

{{/*
Kafka connection of a service: env and the CA volume, for a dict with root
and component (the KafkaUser of a component is "<fullname>-<component>").
*/}}
{{- define "tickerflow.kafkaEnv" -}}
{{- $v := .root.Values.kafka -}}
- name: KAFKA_BROKERS
  value: {{ include "tickerflow.kafkaBootstrap" .root | quote }}
- name: KAFKA_CLIENT_ID
  value: {{ include "tickerflow.componentName" . | quote }}
{{- if eq $v.mode "strimzi" }}
{{- if $v.strimzi.listener.tls }}
- name: KAFKA_TLS
  value: "true"
- name: KAFKA_TLS_CA_FILE
  value: /etc/tickerflow/kafka-ca/ca.crt
{{- end }}
{{- if include "tickerflow.scram" .root }}
- name: KAFKA_SASL_MECHANISM
  value: scram-sha-512
- name: KAFKA_SASL_USERNAME
  value: {{ include "tickerflow.kafkaUser" . | quote }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "tickerflow.kafkaUser" . }}
      key: password
{{- end }}
{{- else }}
{{- if $v.external.tls.enabled }}
- name: KAFKA_TLS
  value: "true"
{{- if $v.external.tls.caSecret }}
- name: KAFKA_TLS_CA_FILE
  value: /etc/tickerflow/kafka-ca/ca.crt
{{- end }}
{{- if $v.external.tls.insecureSkipVerify }}
- name: KAFKA_TLS_INSECURE_SKIP_VERIFY
  value: "true"
{{- end }}
{{- end }}
{{- if $v.external.sasl.mechanism }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $v.external.sasl.mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  value: {{ required "kafka.external.sasl.username is required with a SASL mechanism" $v.external.sasl.username | quote }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.external.sasl.passwordSecret is required with a SASL mechanism" $v.external.sasl.passwordSecret }}
      key: {{ $v.external.sasl.passwordSecretKey }}
{{- end }}
{{- end }}
{{- with .root.Values.schemaRegistry }}
{{- if .url }}
- name: SCHEMA_REGISTRY_URL
  value: {{ .url | quote }}
{{- if .username }}
- name: SCHEMA_REGISTRY_USERNAME
  value: {{ .username | quote }}
- name: SCHEMA_REGISTRY_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "schemaRegistry.passwordSecret is required with schemaRegistry.username" .passwordSecret }}
      key: {{ .passwordSecretKey }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The Secret and key of the CA the services trust, or nothing. */}}
{{- define "tickerflow.kafkaCaSecret" -}}
{{- $v := .Values.kafka -}}
{{- if and (eq $v.mode "strimzi") $v.strimzi.listener.tls -}}
{{ include "tickerflow.strimziCluster" . }}-cluster-ca-cert:ca.crt
{{- else if and (eq $v.mode "external") $v.external.tls.enabled $v.external.tls.caSecret -}}
{{ $v.external.tls.caSecret }}:{{ $v.external.tls.caSecretKey }}
{{- end -}}
{{- end -}}

{{- define "tickerflow.kafkaCaVolumeMount" -}}
- name: kafka-ca
  mountPath: /etc/tickerflow/kafka-ca
  readOnly: true
{{- end -}}

{{- define "tickerflow.kafkaCaVolume" -}}
{{- $parts := splitList ":" (include "tickerflow.kafkaCaSecret" .) -}}
- name: kafka-ca
  secret:
    secretName: {{ index $parts 0 }}
    items:
      - key: {{ index $parts 1 }}
        path: ca.crt
{{- end -}}

{{/* Env every service shares */}}
{{- define "tickerflow.commonEnv" -}}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: HTTP_PORT
  value: "8080"
- name: TRADES_TOPIC
  value: {{ .Values.kafka.topics.trades.name | quote }}
- name: CANDLES_TOPIC
  value: {{ .Values.kafka.topics.candles.name | quote }}
- name: DLQ_TOPIC
  value: {{ .Values.kafka.topics.dlq.name | quote }}
{{- end -}}

{{- define "tickerflow.downwardEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: KUBE_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- end -}}

{{/*
The Pod template every component shares, for a dict with root, component,
values (the component's values), serviceAccount (bool), env (rendered YAML
list), command, kafka (bool: mount the Kafka CA), database (bool: mount
the PostgreSQL password and CA) and job (bool: a Job's Pod, which runs to its
end: no port, no probes, never restarted in place).
*/}}
{{- define "tickerflow.podTemplate" -}}
{{- $root := .root -}}
metadata:
  labels:
    {{- include "tickerflow.selectorLabels" . | nindent 4 }}
  annotations:
    kubectl.kubernetes.io/default-container: {{ .component }}
    {{- with .values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with .checksum }}
    checksum/config: {{ . }}
    {{- end }}
spec:
  {{- if .serviceAccount }}
  serviceAccountName: {{ include "tickerflow.componentName" . }}
  {{- else }}
  automountServiceAccountToken: false
  {{- end }}
  {{- with $root.Values.image.pullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  {{- if .job }}
  restartPolicy: Never
  {{- end }}
  terminationGracePeriodSeconds: 45
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: {{ $root.Values.topologySpread.topologyKey }}
      whenUnsatisfiable: {{ $root.Values.topologySpread.whenUnsatisfiable }}
      labelSelector:
        matchLabels:
          {{- include "tickerflow.selectorLabels" . | nindent 10 }}
  {{- with .values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ .component }}
      image: {{ include "tickerflow.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      command: {{ toJson .command }}
      {{- if not .job }}
      ports:
        - name: http
          containerPort: 8080
          protocol: TCP
      {{- end }}
      env:
        {{- .env | nindent 8 }}
        {{- with .values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- if not .job }}
      startupProbe:
        httpGet: { path: /healthz, port: http }
        periodSeconds: 2
        failureThreshold: 60
      livenessProbe:
        httpGet: { path: /healthz, port: http }
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 3
      readinessProbe:
        httpGet: { path: /readyz, port: http }
        periodSeconds: 5
        timeoutSeconds: 5
        failureThreshold: 2
      {{- end }}
      resources:
        {{- toYaml .values.resources | nindent 8 }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if and .kafka (include "tickerflow.kafkaCaSecret" $root) }}
        {{- include "tickerflow.kafkaCaVolumeMount" $root | nindent 8 }}
        {{- end }}
        {{- if .database }}
        {{- include "tickerflow.databaseVolumeMounts" $root | nindent 8 }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- if and .kafka (include "tickerflow.kafkaCaSecret" $root) }}
    {{- include "tickerflow.kafkaCaVolume" $root | nindent 4 }}
    {{- end }}
    {{- if .database }}
    {{- include "tickerflow.databaseVolumes" $root | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* PostgreSQL (history): the sink writes it, the dashboard reads it. */}}
{{- define "tickerflow.cnpgCluster" -}}{{ include "tickerflow.fullname" . }}-pg{{- end -}}

{{/* "true" when a database is configured. */}}
{{- define "tickerflow.database" -}}
{{- if ne .Values.database.mode "none" }}true{{ end -}}
{{- end -}}

{{/* Secret:key of the password, and of the CA to verify the server against (or nothing). */}}
{{- define "tickerflow.databasePasswordSecret" -}}
{{- if eq .Values.database.mode "cloudnativepg" -}}
{{ include "tickerflow.cnpgCluster" . }}-app:password
{{- else -}}
{{ required "database.external.passwordSecret is required with database.mode=external" .Values.database.external.passwordSecret }}:{{ .Values.database.external.passwordSecretKey }}
{{- end -}}
{{- end -}}

{{- define "tickerflow.databaseCaSecret" -}}
{{- if eq .Values.database.mode "cloudnativepg" -}}
{{ include "tickerflow.cnpgCluster" . }}-ca:ca.crt
{{- else if and (eq .Values.database.external.ssl "verify-full") .Values.database.external.caSecret -}}
{{ .Values.database.external.caSecret }}:{{ .Values.database.external.caSecretKey }}
{{- end -}}
{{- end -}}

{{- define "tickerflow.databaseEnv" -}}
{{- $d := .Values.database -}}
{{- if eq $d.mode "cloudnativepg" }}
{{- /* The operator's server certificate names the -rw Service; its CA is in <cluster>-ca. */}}
- name: DATABASE_URL
  value: {{ printf "postgres://%s@%s-rw:5432/%s" $d.cloudnativepg.owner (include "tickerflow.cnpgCluster" .) $d.cloudnativepg.database | quote }}
- name: DATABASE_SSL
  value: verify-full
{{- else }}
- name: DATABASE_URL
  value: {{ required "database.external.url is required with database.mode=external" $d.external.url | quote }}
- name: DATABASE_SSL
  value: {{ $d.external.ssl | quote }}
{{- end }}
- name: DATABASE_PASSWORD_FILE
  value: /etc/tickerflow/database/password
{{- if include "tickerflow.databaseCaSecret" . }}
- name: DATABASE_SSL_CA_FILE
  value: /etc/tickerflow/database-ca/ca.crt
{{- end }}
{{- end -}}

{{- define "tickerflow.databaseVolumeMounts" -}}
- name: database-password
  mountPath: /etc/tickerflow/database
  readOnly: true
{{- if include "tickerflow.databaseCaSecret" . }}
- name: database-ca
  mountPath: /etc/tickerflow/database-ca
  readOnly: true
{{- end }}
{{- end -}}

{{- define "tickerflow.databaseVolumes" -}}
{{- $password := splitList ":" (include "tickerflow.databasePasswordSecret" .) -}}
- name: database-password
  secret:
    secretName: {{ index $password 0 }}
    items:
      - key: {{ index $password 1 }}
        path: password
{{- with include "tickerflow.databaseCaSecret" . }}
{{- $ca := splitList ":" . }}
- name: database-ca
  secret:
    secretName: {{ index $ca 0 }}
    items:
      - key: {{ index $ca 1 }}
        path: ca.crt
{{- end }}
{{- end -}}

{{/* Topics the chart creates: refused when no write with acks=all could ever succeed. */}}
{{- define "tickerflow.validateTopics" -}}
{{- range $key := list "trades" "candles" "dlq" }}
{{- $t := index $.Values.kafka.topics $key }}
{{- $min := index ($t.config | default dict) "min.insync.replicas" }}
{{- if and $min (gt (int $min) (int $t.replicas)) }}
{{- fail (printf "kafka.topics.%s.config.min.insync.replicas (%d) must be at most kafka.topics.%s.replicas (%d): every write with acks=all would fail" $key (int $min) $key (int $t.replicas)) }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The NetworkPolicy egress rule to the Kafka brokers: their ports, and where they are (kafkaTo, or the Strimzi cluster's Pods). */}}
{{- define "tickerflow.kafkaEgress" -}}
{{- $ports := list (int .Values.kafka.strimzi.listener.port) -}}
{{- $to := .Values.networkPolicy.kafkaTo -}}
{{- if eq .Values.kafka.mode "external" }}
{{- $ports = .Values.kafka.external.ports -}}
{{- else if not $to }}
{{- $to = list (dict "podSelector" (dict "matchLabels" (dict "strimzi.io/cluster" (include "tickerflow.strimziCluster" .) "strimzi.io/kind" "Kafka"))) -}}
{{- end -}}
# Kafka
- ports:
    {{- range $ports }}
    - { port: {{ . }}, protocol: TCP }
    {{- end }}
  {{- with $to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
