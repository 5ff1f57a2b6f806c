#!/usr/bin/env bash
# Apache Avro for Java (AVRO_VERSION) from Maven Central: an Avro implementation
# independent of avsc, used by tests to decode what reached Kafka.
source "$(dirname "$0")/lib.sh"
dest="$TICKERFLOW_CACHE/avro/$AVRO_VERSION"
if done_marker "$dest"; then echo "$dest/lib"; exit 0; fi
log "fetching Avro $AVRO_VERSION jars"
maven_classpath "$dest" "org.apache.avro:avro:$AVRO_VERSION" "org.slf4j:slf4j-nop:2.0.17"
mark_done "$dest"
echo "$dest/lib"
