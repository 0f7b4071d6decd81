#!/usr/bin/env bash
# Builds the debug preset (AddressSanitizer, UBSan, -Werror) and runs every
# test except the long `soak` ones. CI runs exactly this, so a green run here
# means a green run there.
set -euo pipefail

# Work from the repository root so the presets are found whatever the cwd.
repo_root() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd
}

main() {
  cd "$(repo_root)"
  scripts/install-deps.sh
  # The workflow configures, builds and runs ctest; its status is ours.
  cmake --workflow --preset debug
}

main "$@"
