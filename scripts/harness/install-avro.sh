#!/usr/bin/env bash
# Apache Avro for Java (AVRO_VERSION) from Maven Central: an Avro implementation
# independent of avsc, used by tests to decode what reached Kafka.
source "$(dirname "$0")/lib.sh"
dest="$TICKERFLOW_CACHE/avro/$AVRO_VERSION"
if done_marker "$dest"; then echo "$dest/lib"; exit 0; fi
log "fetching Avro $AVRO_VERSION jars"
rm -rf "$dest/lib"
mkdir -p "$dest/lib"
cat > "$dest/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tickerflow.harness</groupId>
  <artifactId>avro-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.avro</groupId><artifactId>avro</artifactId><version>$AVRO_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>2.0.17</version></dependency>
  </dependencies>
</project>
POM
mvn -q -B -f "$dest/pom.xml" -Dmaven.repo.local="$TICKERFLOW_CACHE/m2" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest/lib"
mark_done "$dest"
echo "$dest/lib"
