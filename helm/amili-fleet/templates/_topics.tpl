{{/*
The topics of the listed entries, as workers/runtime/topics.py derives them (a guard test compares the two):
inbound topics (the entry's partitions), dead-letter topics, amili.outcomes, fact topics (poller entries),
the state topics; then topics.overrides. Returned as YAML {name: {partitions, configs}}; callers use fromYaml.
*/}}
{{- define "amili-fleet.topicList" -}}
{{- $root := . -}}
{{- $t := .Values.topics -}}
{{- $common := dict -}}
{{- if not (kindIs "invalid" $t.minInsyncReplicas) }}{{ $_ := set $common "min.insync.replicas" (include "amili-fleet.str" $t.minInsyncReplicas) }}{{ end -}}
{{- $data := deepCopy $common -}}
{{- if not (kindIs "invalid" $t.retentionMs) }}{{ $_ := set $data "retention.ms" (include "amili-fleet.str" $t.retentionMs) }}{{ end -}}
{{- $all := dict -}}
{{- $inbound := list -}}
{{- $facts := list -}}
{{- range $entry := .Values.useCases -}}
{{- $uc := include "amili-fleet.useCase" (list $root $entry) | fromYaml -}}
{{- $partitions := int64 ($uc.partitions | default $t.partitions) -}}
{{- if $uc.poller -}}
{{- range $uc.topics }}{{ $facts = append $facts (list . $partitions) }}{{ end -}}
{{- else -}}
{{- range $uc.topics }}{{ $inbound = append $inbound (list . $partitions) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- range $inbound }}{{ if not (hasKey $all (index . 0)) }}{{ $_ := set $all (index . 0) (dict "partitions" (index . 1) "configs" (deepCopy $data)) }}{{ end }}{{ end -}}
{{- $dlqConfigs := merge (dict "retention.ms" (include "amili-fleet.str" $t.deadLetterRetentionMs)) (deepCopy $common) -}}
{{- range $entry := .Values.useCases -}}
{{- $uc := include "amili-fleet.useCase" (list $root $entry) | fromYaml -}}
{{- if and (not $uc.poller) (not (hasKey $all $uc.deadLetterTopic)) -}}
{{- $_ := set $all $uc.deadLetterTopic (dict "partitions" (int64 $t.deadLetterPartitions) "configs" (deepCopy $dlqConfigs)) -}}
{{- end -}}
{{- end -}}
{{- if and $inbound (not (hasKey $all "amili.outcomes")) -}}
{{- $_ := set $all "amili.outcomes" (dict "partitions" (int64 $t.partitions) "configs" (deepCopy $data)) -}}
{{- end -}}
{{- range $facts }}{{ if not (hasKey $all (index . 0)) }}{{ $_ := set $all (index . 0) (dict "partitions" (index . 1) "configs" (deepCopy $data)) }}{{ end }}{{ end -}}
{{- $state := merge (dict "cleanup.policy" "compact" "segment.ms" "3600000") (deepCopy $common) -}}
{{- range $t.state }}{{ if not (hasKey $all .) }}{{ $_ := set $all . (dict "partitions" 1 "configs" (deepCopy $state) "state" true) }}{{ end }}{{ end -}}
{{- range $name, $override := $t.overrides -}}
{{- $topic := get $all $name -}}
{{- if $topic -}}
{{- if and $override.partitions (not $topic.state) }}{{ $_ := set $topic "partitions" (int64 $override.partitions) }}{{ end -}}
{{- range $key, $value := ($override.configs | default dict) }}{{ $_ := set $topic.configs $key (include "amili-fleet.str" $value) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- toYaml $all -}}
{{- end -}}

{{/* TOPICS_OVERRIDES for the topics Job: each entry's partitions for its topics, then topics.overrides. */}}
{{- define "amili-fleet.topicOverrides" -}}
{{- $root := . -}}
{{- $overrides := dict -}}
{{- range $entry := .Values.useCases -}}
{{- $uc := include "amili-fleet.useCase" (list $root $entry) | fromYaml -}}
{{- if $uc.partitions -}}
{{- range $uc.topics }}{{ $_ := set $overrides . (dict "partitions" (int64 $uc.partitions)) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- range $name, $override := .Values.topics.overrides -}}
{{- $merged := merge (deepCopy $override) (get $overrides $name | default dict) -}}
{{- if $merged.configs }}{{ $_ := set $merged "configs" (dict) }}{{ range $k, $v := $override.configs }}{{ $_ := set $merged.configs $k (include "amili-fleet.str" $v) }}{{ end }}{{ end -}}
{{- $_ := set $overrides $name $merged -}}
{{- end -}}
{{- toJson $overrides -}}
{{- end -}}
