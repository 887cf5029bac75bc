#!/usr/bin/env bash
# The README's Quick start in a fresh Maven project, as a user would write it.
#
# Creates a project in a temporary folder that imports dev.keel:keel-bom and depends on keel-fewl
# and keel-core only (no version on either, no PyTorch native jar), turns the first ```java block of
# the README into its main class (the block's imports on top, the rest as the body of main), then
# compiles it and runs it against the Keel artifacts in the local Maven repository. Run it after
# `mvn install` at the repository root:
#
#   mvn -B -q install -DskipTests && examples/src/test/quickstart/check.sh
#
# Environment: MAVEN_REPO_LOCAL (a local repository other than ~/.m2/repository), MVN_OFFLINE
# (default -o; set it to an empty string to let Maven download), KEEP=1 keeps the project folder.
# Exit status 0 when the program compiles, runs and prints one line per score; not 0 otherwise.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
readme="$root/README.md"
version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$root/pom.xml" | head -n 1)"
offline="${MVN_OFFLINE--o}"
repo_args=()
if [[ -n "${MAVEN_REPO_LOCAL:-}" ]]; then
  repo_args=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
fi

[[ -f "$readme" ]] || { echo "check.sh: no README at $readme" >&2; exit 2; }
[[ -n "$version" ]] || { echo "check.sh: no version found in $root/pom.xml" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/keel-quickstart.XXXXXX")"
if [[ "${KEEP:-0}" != 1 ]]; then
  trap 'rm -rf "$work"' EXIT
fi

# The first ```java block of the README.
block="$work/block.java"
awk 'done { next } /^```java[[:space:]]*$/ { on = 1; next } on && /^```[[:space:]]*$/ { done = 1; on = 0; next } on { print }' \
  "$readme" > "$block"
[[ -s "$block" ]] || { echo "check.sh: no \`\`\`java block in $readme" >&2; exit 2; }
grep -q 'Fewl' "$block" || { echo "check.sh: the README's first java block is not the FEWL quick start" >&2; exit 2; }

mkdir -p "$work/src/main/java/quickstart"
{
  echo "package quickstart;"
  echo
  grep -E '^import ' "$block"
  echo
  echo "public final class Main {"
  echo "    public static void main(String[] args) {"
  grep -vE '^import ' "$block" | sed 's/^/        /'
  echo "    }"
  echo "}"
} > "$work/src/main/java/quickstart/Main.java"

cat > "$work/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>keel-quickstart</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>dev.keel</groupId>
        <artifactId>keel-bom</artifactId>
        <version>$version</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>dev.keel</groupId>
      <artifactId>keel-fewl</artifactId>
    </dependency>
    <dependency>
      <groupId>dev.keel</groupId>
      <artifactId>keel-core</artifactId>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-resources-plugin</artifactId>
        <version>3.3.1</version>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.14.0</version>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
      </plugin>
    </plugins>
  </build>
</project>
POM

cd "$work"
mvn -B -q $offline "${repo_args[@]}" compile dependency:build-classpath \
  -Dmdep.outputFile="$work/classpath.txt" -Dmdep.includeScope=runtime
if grep -q 'pytorch-native' "$work/classpath.txt"; then
  echo "check.sh: keel-fewl brought a PyTorch native jar onto the user's classpath" >&2
  exit 1
fi
out="$work/out.txt"
java -cp "$work/target/classes:$(cat "$work/classpath.txt")" quickstart.Main | tee "$out"
lines="$(grep -cE '^(gum|knuckles): ' "$out" || true)"
if [[ "$(wc -l < "$out")" -lt 3 || "$lines" -ne 2 ]]; then
  echo "check.sh: expected the one-liner's score and a line for each of the two items" >&2
  exit 1
fi
echo "check.sh: the README's Quick start compiled and ran in $work against keel $version"
