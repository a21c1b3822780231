{{/*
The settings every worker shares (KAFKA_*, AMILI_*, WORKER_*), validated, as a YAML map of strings: the ConfigMap's
data, and the topics Job's env (a pre-install hook runs before the ConfigMap exists). Secrets are files, never here.
The partner credential is not here: only the partner use cases get it (deployment.yaml).
*/}}
{{/* A value as a setting's string: YAML numbers reach templates as float64, and 1209600000 must not become
"1.2096e+09". */}}
{{- define "amili-fleet.str" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) -}}{{ int64 . }}{{- else -}}{{ toString . }}{{- end -}}
{{- end -}}

{{- define "amili-fleet.secretDir" -}}/var/run/secrets/amili-fleet{{- end -}}

{{- define "amili-fleet.sharedConfig" -}}
{{- $secretDir := include "amili-fleet.secretDir" . -}}
{{- $kafka := .Values.kafka -}}
{{- $amili := .Values.amili -}}
{{- if and $amili.apiCode (not $amili.privateKeySecret.name) -}}
{{- fail "amili.privateKeySecret.name: required when amili.apiCode is set (an existing Secret with the PEM key)" -}}
{{- end -}}
{{- if and $amili.privateKeySecret.name (not $amili.apiCode) -}}
{{- fail "amili.apiCode: required when amili.privateKeySecret.name is set" -}}
{{- end -}}
{{- if and $amili.partnerApiCode (not $amili.partnerPrivateKeySecret.name) -}}
{{- fail "amili.partnerPrivateKeySecret.name: required when amili.partnerApiCode is set" -}}
{{- end -}}
{{- if and $amili.partnerPrivateKeySecret.name (not $amili.partnerApiCode) -}}
{{- fail "amili.partnerApiCode: required when amili.partnerPrivateKeySecret.name is set" -}}
{{- end -}}
{{- if not (or $amili.apiCode $amili.partnerApiCode) -}}
{{- fail "amili.apiCode: required (with amili.privateKeySecret.name), or amili.partnerApiCode for partner-only use" -}}
{{- end -}}
{{- if hasPrefix "SASL_" $kafka.securityProtocol -}}
{{- if not (and $kafka.saslMechanism $kafka.saslUsername $kafka.saslPasswordSecret.name) -}}
{{- fail (printf "kafka.securityProtocol %s needs kafka.saslMechanism, kafka.saslUsername and kafka.saslPasswordSecret.name" $kafka.securityProtocol) -}}
{{- end -}}
{{- end -}}
KAFKA_BOOTSTRAP_SERVERS: {{ required "kafka.bootstrapServers: required (host:port of the Kafka brokers)" $kafka.bootstrapServers | quote }}
KAFKA_CLIENT_ID: {{ $kafka.clientId | quote }}
KAFKA_SECURITY_PROTOCOL: {{ $kafka.securityProtocol | quote }}
{{- if hasPrefix "SASL_" $kafka.securityProtocol }}
KAFKA_SASL_MECHANISM: {{ $kafka.saslMechanism | quote }}
KAFKA_SASL_USERNAME: {{ $kafka.saslUsername | quote }}
KAFKA_SASL_PASSWORD_FILE: {{ printf "%s/kafka-sasl/password" $secretDir | quote }}
{{- end }}
{{- if $kafka.tlsCaSecret.name }}
KAFKA_SSL_CAFILE: {{ printf "%s/kafka-ca/ca.crt" $secretDir | quote }}
{{- end }}
{{- if hasSuffix "SSL" $kafka.securityProtocol }}
KAFKA_SSL_CHECK_HOSTNAME: {{ $kafka.sslCheckHostname | quote }}
{{- end }}
AMILI_BASE_URL: {{ $amili.baseUrl | quote }}
AMILI_APP_URL: {{ $amili.appUrl | quote }}
AMILI_JWT_ALGORITHM: {{ $amili.jwtAlgorithm | quote }}
{{- if $amili.apiCode }}
AMILI_API_CODE: {{ $amili.apiCode | quote }}
AMILI_PRIVATE_KEY_FILE: {{ printf "%s/amili/private-key.pem" $secretDir | quote }}
{{- end }}
WORKER_HEALTH_PORT: {{ .Values.worker.healthPort | quote }}
WORKER_LOG_LEVEL: {{ .Values.worker.logLevel | quote }}
WORKER_LOG_FORMAT: {{ .Values.worker.logFormat | quote }}
{{- range $key, $value := .Values.worker.extraConfig }}
{{- if eq $key "WORKER_DRAIN_SECONDS" }}
{{- fail "worker.extraConfig.WORKER_DRAIN_SECONDS: set worker.drainSeconds instead, so the grace period follows it" }}
{{- end }}
{{- if has $key (list "AMILI_PARTNER_API_CODE" "AMILI_PARTNER_PRIVATE_KEY_FILE") }}
{{- fail (printf "worker.extraConfig.%s: set amili.partnerApiCode and amili.partnerPrivateKeySecret instead, so only the partner use cases get the key" $key) }}
{{- end }}
{{ $key }}: {{ include "amili-fleet.str" $value | quote }}
{{- end }}
{{- end -}}

{{/* The consumer group of an entry: its own `group`, else WORKER_GROUP_PREFIX (default amili-fleet.) + its name. */}}
{{- define "amili-fleet.group" -}}
{{- $root := index . 0 -}}
{{- $uc := index . 1 -}}
{{- $prefix := "amili-fleet." -}}
{{- if hasKey $root.Values.worker.extraConfig "WORKER_GROUP_PREFIX" -}}
{{- $prefix = index $root.Values.worker.extraConfig "WORKER_GROUP_PREFIX" | toString -}}
{{- end -}}
{{- $uc.group | default (printf "%s%s" $prefix $uc.name) -}}
{{- end -}}

{{/* The Kafka volumes (SASL password, CA) as `volumes` entries, and their mounts. */}}
{{- define "amili-fleet.kafkaVolumes" -}}
{{- with .Values.kafka.saslPasswordSecret }}
{{- if .name }}
- name: kafka-sasl
  secret:
    secretName: {{ .name }}
    defaultMode: 0440
    items:
      - key: {{ .key }}
        path: password
{{- end }}
{{- end }}
{{- with .Values.kafka.tlsCaSecret }}
{{- if .name }}
- name: kafka-ca
  secret:
    secretName: {{ .name }}
    defaultMode: 0440
    items:
      - key: {{ .key }}
        path: ca.crt
{{- end }}
{{- end }}
{{- end -}}

{{- define "amili-fleet.kafkaMounts" -}}
{{- $secretDir := include "amili-fleet.secretDir" . -}}
{{- if .Values.kafka.saslPasswordSecret.name }}
- name: kafka-sasl
  mountPath: {{ $secretDir }}/kafka-sasl
  readOnly: true
{{- end }}
{{- if .Values.kafka.tlsCaSecret.name }}
- name: kafka-ca
  mountPath: {{ $secretDir }}/kafka-ca
  readOnly: true
{{- end }}
{{- end -}}
