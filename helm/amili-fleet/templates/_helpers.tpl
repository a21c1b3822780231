{{/* Names, labels and the per-use-case view of the values. */}}

{{- define "amili-fleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "amili-fleet.fullname" -}}
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

{{- define "amili-fleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "amili-fleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "amili-fleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "amili-fleet.labels" -}}
helm.sh/chart: {{ include "amili-fleet.chart" . }}
{{ include "amili-fleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: amili-fleet
{{- end -}}

{{- define "amili-fleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "amili-fleet.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "amili-fleet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Kubernetes names allow no underscores: register_invoice -> <fullname>-register-invoice. */}}
{{- define "amili-fleet.useCaseFullname" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- printf "%s-%s" (include "amili-fleet.fullname" $root) ($name | replace "_" "-") | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "amili-fleet.useCaseSelectorLabels" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{ include "amili-fleet.selectorLabels" $root }}
app.kubernetes.io/component: {{ $name | replace "_" "-" }}
amili-fleet/use-case: {{ $name }}
{{- end -}}

{{/*
One use case's settings: the entry merged over .Values.defaults (the entry wins), validated, with the derived
drain budget, grace period and autoscaling. Returned as YAML; callers use `fromYaml`.
*/}}
{{- define "amili-fleet.useCase" -}}
{{- $root := index . 0 -}}
{{- $entry := index . 1 -}}
{{- if not $entry.name -}}
{{- fail "useCases: every entry needs a name" -}}
{{- end -}}
{{- if not (regexMatch "^[a-z][a-z0-9_]*$" $entry.name) -}}
{{- fail (printf "useCases.%s: name must be a registered use case (lower_snake_case)" $entry.name) -}}
{{- end -}}
{{- /* merge keeps the first map's values unless they are empty (0, false, ""): set the entry's own scalars again. */ -}}
{{- $uc := merge (deepCopy $entry) (deepCopy $root.Values.defaults) -}}
{{- range $key, $value := $entry }}{{ if not (kindIs "map" $value) }}{{ $_ := set $uc $key $value }}{{ end }}{{ end -}}
{{- if hasKey ($uc.env | default dict) "WORKER_DRAIN_SECONDS" -}}
{{- fail (printf "useCases.%s.env.WORKER_DRAIN_SECONDS: set useCases[].drainSeconds instead, so the grace period follows it" $entry.name) -}}
{{- end -}}
{{- $drain := float64 (hasKey $entry "drainSeconds" | ternary $entry.drainSeconds $root.Values.worker.drainSeconds) -}}
{{- if le $drain 0.0 -}}
{{- fail (printf "useCases.%s: drainSeconds must be positive" $entry.name) -}}
{{- end -}}
{{- $grace := 0 -}}
{{- $pinned := coalesce $entry.terminationGracePeriodSeconds $root.Values.worker.terminationGracePeriodSeconds -}}
{{- if $pinned -}}
{{- $grace = int64 $pinned -}}
{{- else -}}
{{- $grace = add (int64 (ceil $drain)) (int64 $root.Values.worker.gracePeriodMarginSeconds) -}}
{{- end -}}
{{- if le (float64 $grace) $drain -}}
{{- fail (printf "useCases.%s: terminationGracePeriodSeconds (%v) must be longer than the drain budget WORKER_DRAIN_SECONDS (%v), or Kubernetes kills the worker mid-drain" $entry.name $grace $drain) -}}
{{- end -}}
{{- $own := $entry.autoscaling | default dict -}}
{{- $as := merge (deepCopy $own) (deepCopy $root.Values.autoscaling) -}}
{{- range $key, $value := $own -}}
{{- if kindIs "map" $value }}{{ range $k, $v := $value }}{{ $_ := set (get $as $key) $k $v }}{{ end }}{{ else }}{{ $_ := set $as $key $value }}{{ end -}}
{{- end -}}
{{- $partitions := int64 ($entry.partitions | default 0) -}}
{{- if $entry.poller -}}
{{- if and (hasKey $entry "replicas") (ne (int64 $entry.replicas) 1) -}}
{{- fail (printf "useCases.%s: a poller runs exactly one replica (it must never run twice at once)" $entry.name) -}}
{{- end -}}
{{- if ($entry.autoscaling | default dict).enabled -}}
{{- fail (printf "useCases.%s.autoscaling: a poller cannot be autoscaled (it runs exactly one replica)" $entry.name) -}}
{{- end -}}
{{- /* The global autoscaling.enabled default skips pollers. */ -}}
{{- $_ := set $as "enabled" false -}}
{{- $_ := set $uc "replicas" 1 -}}
{{- end -}}
{{- if $as.enabled -}}
{{- if not (has $as.type (list "keda" "hpa")) -}}
{{- fail (printf "useCases.%s.autoscaling.type: %q is not keda or hpa" $entry.name $as.type) -}}
{{- end -}}
{{- if and (eq $as.type "keda") (not (has $as.keda.trigger (list "kafka" "prometheus"))) -}}
{{- fail (printf "useCases.%s.autoscaling.keda.trigger: %q is not kafka or prometheus" $entry.name $as.keda.trigger) -}}
{{- end -}}
{{- if lt (int64 $as.minReplicas) 0 -}}
{{- fail (printf "useCases.%s.autoscaling.minReplicas: must not be negative" $entry.name) -}}
{{- end -}}
{{- if and (eq (int64 $as.minReplicas) 0) (not (and (eq $as.type "keda") (eq $as.keda.trigger "kafka"))) -}}
{{- fail (printf "useCases.%s.autoscaling.minReplicas: 0 needs type keda with the kafka trigger (with no pod, no worker reports its lag)" $entry.name) -}}
{{- end -}}
{{- $max := int64 ($as.maxReplicas | default $partitions) -}}
{{- if le $max 0 -}}
{{- fail (printf "useCases.%s: set partitions (or autoscaling.maxReplicas) to autoscale" $entry.name) -}}
{{- end -}}
{{- if lt $max (int64 $as.minReplicas) -}}
{{- fail (printf "useCases.%s.autoscaling: maxReplicas (%d) is below minReplicas (%v)" $entry.name $max $as.minReplicas) -}}
{{- end -}}
{{- $_ := set $as "maxReplicas" $max -}}
{{- end -}}
{{- $_ := set $uc "autoscaling" $as -}}
{{- $_ := set $uc "drainSeconds" $drain -}}
{{- $_ := set $uc "terminationGracePeriodSeconds" $grace -}}
{{- $_ := set $uc "partitions" $partitions -}}
{{- $_ := set $uc "poller" (default false $entry.poller) -}}
{{- $topics := $entry.topics | default (list $entry.topic) | compact -}}
{{- if not $topics -}}
{{- fail (printf "useCases.%s: set topic (or topics)" $entry.name) -}}
{{- end -}}
{{- $_ := set $uc "topics" $topics -}}
{{- $_ := set $uc "deadLetterTopic" ($entry.deadLetterTopic | default (printf "%s.dlq" (first $topics))) -}}
{{- toYaml $uc -}}
{{- end -}}
