export const MAIN_HELP = `unmask — run multimodal masked-diffusion language models

Usage:
  unmask ask [options] PROMPT     answer a prompt, with optional images and audio
  unmask convert --from DIR --to DIR
                                  turn a Hugging Face checkpoint into a model bundle
  unmask worker --redis URL       answer the lines \`unmask batch\` queues (any number of machines)
  unmask batch --redis URL --jsonl IN --out OUT
                                  \`unmask ask --jsonl\` spread over workers through Redis
  unmask --help                   this text

Run \`unmask COMMAND --help\` for a command's options.
`;

export const ASK_HELP = `unmask ask [options] PROMPT

Answers PROMPT with a masked-diffusion model. Without --json the answer is drawn live in the
terminal as it unmasks (masks shown as ░, newly committed tokens highlighted).

Input
  --model DIR            model bundle folder (default: the embedded model in models/default)
  --image FILE           an image (PNG, JPEG, WebP, GIF, TIFF, AVIF); repeat for several
  --audio FILE           a WAV file (PCM 8/16/24/32-bit, float, A-law, µ-law; any rate, any channels)
  --jsonl FILE           batch mode: one request per line, {"prompt", "image"?, "audio"?, ...strategy
                         fields}; prints one result per line in order; a failing line prints
                         {"error": "..."} and the rest go on. The model is loaded once.

Decoding (what a flag leaves out comes from the model's decoding defaults — its upstream
code's, written by unmask convert — else the built-in ones)
  --strategy NAME        low_confidence | dream | confident | threshold | factor | ascending | prophet
                         (default: the model's; built-in: confident)
  --threshold T          τ for confident (strictly above) and threshold (at or above); (0, 1]
  --steps N              steps of the schedule (low_confidence, prophet, dream; confident's fallback)
  --block-length N       semi-autoregressive block length; must divide --max-tokens
  --factor F             f of the factor rule
  --remasking KIND       low_confidence | random (low_confidence, prophet)
  --confidence KIND      probability | margin | neg_entropy
  --alg ALG              Dream's and Dimple's alg: origin | maskgit_plus | topk_margin | entropy
  --alg-temp T           positions drawn from softmax(confidence / T) (dream, confident)
  --eps E                the eps of the eps-linspace schedule (dream, confident; default 0.001)
  --cfg-scale S          LLaDA's classifier-free guidance (cache none)
  --eos-fill true|false  end-of-text prediction (built-in: true; upstream families: false)
  --eos-gamma G          EOS early rejection factor in (0, 1]; 1 turns it off
  --early-commit         Prophet's early commit on top of any strategy
  --cache MODE           none | prefix | dual (default: the model's, else none)
  --max-tokens N         the most answer tokens (default: the model's, else 32): the canvas is the
                         model's trained (or upstream fixed) answer length or DAEDAL-sized within it
  --temperature T        0 = argmax (default: the model's, else 0)
  --top-p P              nucleus filtering, (0, 1]; 1 turns a model default off
  --top-k K              top-k filtering; 0 turns a model default off
  --seed N               makes sampling reproducible

Output
  --json                 print one JSON object {"text", "steps", "tokens", "ms"}
  -h, --help             this text

Examples
  unmask ask --image shapes.png "what color is the circle"
  unmask ask --audio command.wav "extract the intent as json" --json
  unmask ask --strategy low_confidence --steps 8 --max-tokens 16 "describe the image" --image a.png
  unmask ask --model bundles/dream-7b "what is a diffusion language model?"   # Dream's README decoding
  unmask ask --jsonl requests.jsonl > results.jsonl
`;

export const CONVERT_HELP = `unmask convert --from CHECKPOINT_DIR --to BUNDLE_DIR [options]

Turns a Hugging Face checkpoint folder (config.json, model.safetensors or the sharded
model.safetensors.index.json, else pytorch_model.bin or its sharded index, read without
executing its pickle; tokenizer.json, tokenizer_config.json) into a model bundle that
\`unmask ask --model BUNDLE_DIR\` runs. Tensors stream from the checkpoint into the graphs, so
memory stays far below the checkpoint's size; graphs over 2 GB keep their weights in
<graph>.onnx.data beside them. See docs/convert.md.

Works now: LLaDA language models (model_type llada, model.transformer.* tensors), the same model
in Llama layout, Qwen2 / Dream layout language models, and whole multimodal checkpoints:
LLaDA-V (LM + SigLIP + projector; reads preprocessor_config.json, adds an <image> placeholder
and LLaDA-V's system prompt; images tiled anyres_max_4 with its image_newline, as upstream),
DIFFA (its adapters folder with --lm LLaDA-8B-Instruct and --whisper whisper-small folders,
found beside it when not given, or one merged folder; pytorch_model.bin is read; its system
prompt and "This is the audio:" prompt, a <|diffa_audio|> placeholder) and
Dimple (Dream LM with M-RoPE + Qwen2.5-VL tower + projector; <|image_pad|> per merged patch).

Options
  --from DIR             the checkpoint folder
  --to DIR               the bundle folder to write (must not exist or be empty)
  --weights FORMAT       fp32 (default); fp16 (half the file size, same RAM and speed);
                         int8 (8-bit blocks, about a quarter of fp32) or int4 (4-bit blocks,
                         about a seventh) with onnxruntime's MatMulNBits
  --block-size N         int8 / int4: values per quantisation block, 32, 64 or 128 (default:
                         resident about 1.06× / 1.12× the file; 32 is finer at 1.22× / 1.40×,
                         onnxruntime's prepacked layout adds 8 bytes per block)
  --max-batch-size N     rows per forward pass the bundle declares (lm.max_batch_size; default:
                         1 for int8 / int4 and small models, 8 for large fp32 / fp16 ones,
                         measured in docs/bench/real-width.md)
  --ops SET              the LM graph's operators: contrib (default: onnxruntime's
                         SimplifiedLayerNormalization, RotaryEmbedding, MultiHeadAttention; slightly
                         faster on CPU, lower peak memory) or standard (plain ONNX operators);
                         same logits either way (docs/convert.md, "Operator sets")
  --name NAME            the bundle's name in manifest.json (default: the checkpoint folder's name)
  --lm DIR               DIFFA: the LLaDA-8B-Instruct folder (language model and tokenizer)
  --whisper DIR          DIFFA: the whisper-small folder (encoder and feature extractor)
  -h, --help             this text

Example
  unmask convert --from ~/models/LLaDA-8B-Instruct --to models/llada-8b
  unmask convert --from ~/models/LLaDA-8B-Instruct --to models/llada-8b-int4 --weights int4
  unmask convert --from ~/models/DIFFA --lm ~/models/LLaDA-8B-Instruct --whisper ~/models/whisper-small --to models/diffa
`;

export const WORKER_HELP = `unmask worker --redis URL [options]

Loads a model once and answers the jobs \`unmask batch\` puts on a BullMQ queue in Redis; start
one or more on every machine that can reach the Redis server. Each job is one JSONL line; its
result is what \`unmask ask --jsonl\` prints for that line. Every worker of a queue should run the
same model. SIGTERM or SIGINT drains: no new job is taken, the jobs in flight finish, then the
worker exits 0 (a second signal exits at once). A worker that dies loses nothing: its jobs go
to another worker once their lock expires.

Options
  --redis URL            redis://[user:password@]host:port[/db] (rediss:// for TLS)
  --model DIR            model bundle folder (default: the embedded model in models/default)
  --concurrency N        jobs answered at once, batched together by the engine (default 4)
  --queue NAME           the queue (default: unmask)
  --lock-duration MS     how long a job stays claimed without a heartbeat; a dead worker's jobs
                         move to another worker within one to two of these (default 30000)
  -v, --verbose          log every job's start and end
  -h, --help             this text

Example
  unmask worker --redis redis://10.0.0.5:6379 --concurrency 8
`;

export const BATCH_HELP = `unmask batch --redis URL --jsonl IN --out OUT [decoding options]

\`unmask ask --jsonl IN > OUT\`, spread over \`unmask worker\`s through Redis (BullMQ): one job per
non-blank line of IN (media files are read here and travel inside the job, so workers need no
shared disk). OUT is written in input order, each line exactly what \`unmask ask --jsonl\` prints
for it ({"text", "steps", "tokens", "ms"}, or {"error": "..."} for a failed line); the batch goes
on past failed lines and exits 1 if there were any.

Resuming: job ids are the batch id (a hash of IN and the decoding options) and the line number,
and OUT is checkpointed in OUT.progress.json, so running the same command again, after a crash,
Ctrl-C or a Redis outage, goes on where it stopped without answering a line twice or losing one.

Options
  --redis URL            redis://[user:password@]host:port[/db] (rediss:// for TLS)
  --jsonl FILE           the requests, one JSON object per line (see \`unmask ask --help\`)
  --out FILE             the results (OUT.progress.json beside it while the batch runs)
  --queue NAME           the queue (default: unmask)
  --batch-id ID          instead of the hash of IN and the options
  --window N             lines queued but not yet written, at most (default 512; bounds Redis memory)
  --redis-timeout S      stop, with the command that resumes, after Redis has been unreachable this
                         long (default 60)
  --progress MODE        bar (a live line), lines (one every 10 s), off; default: bar on a terminal
  -h, --help             this text

Decoding options, as for \`unmask ask\` (the defaults for lines that do not set their own):
  --strategy --threshold --steps --block-length --factor --remasking --confidence --eos-gamma
  --early-commit --cache --max-tokens --seed --temperature

Example
  unmask worker --redis redis://10.0.0.5:6379 &        # on each machine
  unmask batch --redis redis://10.0.0.5:6379 --jsonl requests.jsonl --out results.jsonl
`;
