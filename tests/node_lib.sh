# Sourced by the TF.js tests after lib.sh: TensorFlow.js in Node as the
# reference, installed from tests/node's lock file when missing. Sets
# NODEDIR and have_tfjs (1 when `node` can require @tensorflow/tfjs), and
# prints a SKIP line (named by $1) when it cannot be had.
NODEDIR=$ROOT/tests/node
have_tfjs=0
if ! command -v node >/dev/null 2>&1; then
    skip "${1:-tfjs_node}" "node is not installed"
elif [ -d "$NODEDIR/node_modules/@tensorflow/tfjs" ]; then
    have_tfjs=1
elif (cd "$NODEDIR" && timeout 600 npm ci --no-audit --no-fund >"$T/npm.log" 2>&1); then
    have_tfjs=1
else
    skip "${1:-tfjs_node}" "npm could not install @tensorflow/tfjs (registry unreachable?): $(tail -n 2 "$T/npm.log" | tr '\n' ' ')"
fi
