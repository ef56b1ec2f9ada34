#!/usr/bin/env bash
# The README's main job, run on this machine with the actions' own binaries as local CLIs, on the
# example platform (examples/platform): lint → unit tests (in the API's image, against PostgreSQL) →
# end-to-end tests of the whole platform under Compose → every image built once and pushed to two
# local registries → the ECS deploy plan (dry run, against moto) and the flag rollout plan (dry run,
# against slipway's fake Flagsmith). No image can be pulled here, so the Dockerfiles' Debian base and
# the postgres image are stand-ins made from Debian's packages (examples/local/base-images.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
pids=()
registry_hosts=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # the references into the two throwaway registries (the images stay, under their local names)
  for h in "${registry_hosts[@]}"; do
    docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$h/" | xargs -r docker rmi >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start=$SECONDS
step() { printf '\n== %s (%ss)\n' "$1" "$((SECONDS - start))"; }

step "build slipway (every action is its subcommand)"
make -s binaries BIN="$work" >/dev/null
slipway=$work/slipway
go build -o "$work/flagsmith" ./examples/local/flagsmith

step "base images (Debian root filesystem from Debian's packages; made once)"
read -r base_image postgres_image < <(examples/local/base-images.sh)
export BASE_IMAGE=$base_image POSTGRES_IMAGE=$postgres_image

cd examples/platform
step "lint-python on api/ (linters detected from its config)"
"$slipway" lint-python --working-directory api --sarif-file .slipway/lint.sarif # inside the workspace, as in the action

step "unit tests: the API's test image against PostgreSQL (run-e2e, test service unit)"
"$slipway" run-e2e --compose-file docker-compose.e2e.yml --test-service unit --services db \
  --reports '/reports/*.xml' --reports-dir "$work/unit-reports" --artifacts-dir "$work/unit-logs"

step "end-to-end tests: db, api, web, then the e2e service (run-e2e, test service e2e)"
"$slipway" run-e2e --compose-file docker-compose.e2e.yml --test-service e2e --services web \
  --reports '/reports/*.xml' --reports-dir "$work/e2e-reports" --artifacts-dir "$work/e2e-logs"

step "two local registries (docker-registry)"
for name in staging mirror; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$work/$name"
  printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: "127.0.0.1:%s"}\n' \
    "$work/$name/data" "$port" >"$work/$name/config.yml"
  docker-registry serve "$work/$name/config.yml" >"$work/$name/log" 2>&1 &
  pids+=($!)
  declare "${name}_registry=127.0.0.1:$port"
  registry_hosts+=("127.0.0.1:$port")
done
# shellcheck disable=SC2154 # set by declare above
registries="$staging_registry/example
$mirror_registry/example"
for r in $registries; do
  until curl -fsS "http://${r%%/*}/v2/" >/dev/null 2>&1; do sleep 0.1; done
done

step "build-push-images: api and web built once, pushed to $staging_registry, copied to $mirror_registry"
GITHUB_OUTPUT="$work/build.out" "$slipway" build-push-images \
  --images "- {name: api, context: api, target: runtime, build-args: {BASE_IMAGE: $BASE_IMAGE}}
- {name: web, context: web, build-args: {BASE_IMAGE: $BASE_IMAGE}}" \
  --registries "$registries" \
  --tags "type=ref,event=branch
type=sha
type=raw,value=local"
images=$(python3 - "$work/build.out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"^images<<(\S+)\n(.*?)\n\1$", text, re.S | re.M)
print(m.group(2))
PY
)
echo "images output: $images"

step "ECS deploy plan (dry run) against moto"
moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m moto.server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=($!)
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" AWS_REGION=eu-west-2 AWS_DEFAULT_REGION=eu-west-2 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
until curl -fsS "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1; do sleep 0.2; done
python3 - <<'PY'
import json, os, boto3
ecs = boto3.client("ecs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
ecs.create_cluster(clusterName="staging")
for svc in ("api", "web"):
    td = json.load(open(f"deploy/{svc}-task.json"))
    arn = ecs.register_task_definition(**td)["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="staging", serviceName=svc, taskDefinition=arn, desiredCount=2)
# What ecs-deploy's verify checks the task definitions need: the execution role (trusting ECS
# tasks), the API's secret and both log groups.
boto3.client("iam", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).create_role(RoleName="ecsTaskExecutionRole",
    AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).create_secret(
    Name="example/database-url", SecretString="postgresql://example")
logs = boto3.client("logs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
for group in ("/ecs/example-api", "/ecs/example-web"):
    logs.create_log_group(logGroupName=group)
print("moto: cluster staging with services api and web, running the placeholder images; their role, secret and log groups")
PY
"$slipway" ecs-deploy --cluster staging --services "api=deploy/api-task.json
web=deploy/web-task.json" --images "$images" --dry-run true

step "flag rollout plan (dry run) against the fake Flagsmith"
# exec: the coprocess is the server itself, so killing its PID stops it (a subshell would leave it running)
coproc FLAGSMITH { exec "$work/flagsmith"; }
pids+=("$FLAGSMITH_PID")
read -r flagsmith_url flagsmith_key <&"${FLAGSMITH[0]}"
"$slipway" flag-rollout --api-url "$flagsmith_url" --api-key "$flagsmith_key" --project example-platform \
  --environment production --feature new-greeting --users "alice@example.com,bob@example.com" \
  --percentage 10 --preview "alice@example.com,carol@example.com,dave@example.com,erin@example.com" --dry-run true

step "local job passed: lint, unit, e2e, build and push, ECS and flag plans in $((SECONDS - start))s"
cd "$root"
