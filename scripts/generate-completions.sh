#!/usr/bin/env bash
# Regenerates completions/ (bash, zsh, fish) for msgctl and msgrelay with swift-argument-parser's generator.
# Run it after changing a command, an option or its help; ShippedDocsTests fails while completions/ is behind.
#
#   scripts/generate-completions.sh              # builds msgctl and msgrelay (debug), then generates
#   scripts/generate-completions.sh BIN_DIR      # uses the binaries already built in BIN_DIR
#                                                # e.g. "$(swift build --scratch-path .build-docs --show-bin-path)"
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ge 1 ]; then
    bin_dir=$1
else
    swift build --product msgctl
    swift build --product msgrelay
    bin_dir=$(swift build --show-bin-path)
fi

mkdir -p completions
for program in msgctl msgrelay; do
    [ -x "$bin_dir/$program" ] || { echo "generate-completions: no $bin_dir/$program (build it first)" >&2; exit 1; }
    for shell in bash zsh fish; do
        case $shell in
            bash) file=completions/$program.bash ;;
            zsh) file=completions/_$program ;;
            fish) file=completions/$program.fish ;;
        esac
        "$bin_dir/$program" --generate-completion-script "$shell" > "$file.tmp"
        mv "$file.tmp" "$file"
        echo "$file"
    done
done
