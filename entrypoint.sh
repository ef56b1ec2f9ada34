#!/bin/sh
# Entrypoint of the root slipway action (the Marketplace entry): runs the action named by the
# "command" input with the rest of the inputs, which the runner passes as INPUT_* variables.
set -eu

bin_dir=${SLIPWAY_BIN_DIR:-/usr/local/bin}
if [ "$#" -gt 0 ]; then
  command=$1
  shift
else
  command=${INPUT_COMMAND:-}
fi

case "$command" in
  lint-python | run-e2e | build-push-images | ecs-deploy | flag-rollout)
    exec "$bin_dir/$command" "$@"
    ;;
  "")
    echo '::error::input "command" is required: one of lint-python, run-e2e, build-push-images, ecs-deploy, flag-rollout'
    exit 2
    ;;
  *)
    # The value is not echoed: it comes from outside and must not reach the log as a command.
    echo '::error::input "command" is not one of lint-python, run-e2e, build-push-images, ecs-deploy, flag-rollout'
    exit 2
    ;;
esac
