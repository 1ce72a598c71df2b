"""Assembles the default model's bundle from the trained stages: the frozen LM (train_lm's lm.pt, its
compositional input embeddings already materialised), the vision tower (train_vision's vision.pt,
exported with the LM's cell-marker embeddings interleaved when the layout is "pair"), the audio
encoder and dual adapter (train_audio's audio.pt), the LM helper's vocabulary as a Hugging Face
WordLevel tokenizer.json, a chat template, and the manifest with the datasets' processor.json and
feature_extractor.json (so inference preprocesses exactly as the training data was).

  OMP_NUM_THREADS=1 /usr/bin/python3 -m unmask_train.assemble --lm tmp/lm/run/lm.pt --vision tmp/mm/vision/vision.pt \
      --audio tmp/mm/audio2/audio.pt --images tmp/mm/images-train --audio-set tmp/mm/audio-train --out models/default
"""
from __future__ import annotations

import argparse
import json
import os
import shutil

import torch

from .checkpoints import load_audio_tower, load_lm, load_vision_block, lm_vocab
from .data import CANVAS_BUCKETS
from .export_lm import write_bundle
from .export_multimodal import audio_section, export_audio, export_vision, vision_section
from .vocab import ASSISTANT, AUDIO, EOS, IMAGE, MASK, PAD, USER

# The worlds' refusal (tools/worlds/src/refusal.ts, docs/worlds.md "The refusal"; the training smoke
# test checks the two agree). The manifest declares it, so the runtime checks whole answers against it.
REFUSAL = "i can only answer questions about shapes in images and smart home voice commands"

# The intent answer's JSON Schema (tools/worlds/src/home/utterance.ts INTENT_JSON_SCHEMA, which zod derives
# from intentSchema; properties in the answer's order; the training smoke test checks the two agree).
# Declared, a whole answer that begins with "{" but is not this JSON (cut short) is decoded again under it
# (docs/bundle-format.md).
INTENT_JSON_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "action": {
            "type": "string",
            "enum": ["activate", "deactivate", "increase", "decrease", "change_language", "bring"],
        },
        "object": {
            "type": "string",
            "enum": [
                "lights",
                "lamp",
                "music",
                "heat",
                "volume",
                "english",
                "german",
                "korean",
                "chinese",
                "newspaper",
                "juice",
                "socks",
                "shoes",
            ],
        },
        "location": {"type": "string", "enum": ["kitchen", "bedroom", "washroom", "none"]},
    },
    "required": ["action", "object", "location"],
    "additionalProperties": False,
}

# The model answers one user turn: the template renders the LAST user message only (system messages
# and earlier turns are left out; the model was never trained on them). Its content is a string or a
# list of parts; an image or audio part renders as its placeholder once (the runtime expands it to the
# graph's rows). The result is the LM's training layout `<|user|> [image] [audio] prompt <|assistant|>`
# (the pipeline puts images before audio). The tokenizer's normalizer trims the spaces around each text
# section, so the spaces here do not reach the ids.
CHAT_TEMPLATE = (
    "{% set ns = namespace(last=none) %}"
    "{% for message in messages %}{% if message['role'] == 'user' %}{% set ns.last = message %}{% endif %}{% endfor %}"
    "{% if ns.last is not none %}" + USER + " "
    "{% if ns.last['content'] is string %}{{ ns.last['content'] }} "
    "{% else %}{% for part in ns.last['content'] %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }} "
    "{% elif part['type'] == 'image' %}" + IMAGE + " "
    "{% elif part['type'] == 'audio' %}" + AUDIO + " "
    "{% endif %}{% endfor %}{% endif %}{% endif %}"
    "{% if add_generation_prompt %}" + ASSISTANT + " {% endif %}"
)


def read_json(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def assemble(
    lm_path: str,
    out: str,
    vision_path: str = None,
    audio_path: str = None,
    image_set: str = None,
    audio_set: str = None,
    name: str = "unmask-default",
    description: str = "",
    extra_files=(),
) -> dict:
    model, layout = load_lm(lm_path)
    vocab = lm_vocab(lm_path)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    sections = {}
    if vision_path:
        block = load_vision_block(vision_path, model, vocab, layout)
        export_vision(block, out)
        processor = read_json(os.path.join(image_set, "processor.json")) if image_set else None
        # With layout "pair" the graph emits a marker row before each cell token (the runtime checks the count).
        processor = {**(processor or {}), "rows_per_token": block.rows // block.config.tokens_per_image}
        section = vision_section(block.tower, placeholder=IMAGE, processor=processor)
        section["tokens_per_image"] = {"kind": "fixed", "count": block.rows}
        sections["vision"] = section
    if audio_path:
        tower = load_audio_tower(audio_path).eval()
        with torch.no_grad():
            table = model.embed(torch.arange(vocab.n_output).unsqueeze(0))[0] if tower.config.snap_through else None
        export_audio(tower, out, table=table)
        extractor = read_json(os.path.join(audio_set, "feature_extractor.json")) if audio_set else None
        sections["audio"] = audio_section(tower, placeholder=AUDIO, feature_extractor=extractor)
    # The model answers single questions on canvases of up to max(CANVAS_BUCKETS) positions; its
    # intents are JSON objects, so a tool call is the arguments object alone; an answer is whole or
    # the refusal, and an intent whole JSON (docs/bundle-format.md, generation.refusal, json_answer).
    sections["generation"] = {
        "answer_length": max(CANVAS_BUCKETS),
        "conversation": "last_user_turn",
        "tool_calls": {"format": "arguments"},
        "refusal": REFUSAL,
        "json_answer": {"schema": INTENT_JSON_SCHEMA},
    }
    manifest = write_bundle(
        model,
        out,
        name=name,
        description=description,
        tokenizer=vocab.tokenizer_json(),
        chat_template=CHAT_TEMPLATE,
        special_tokens={
            "mask": {"token": MASK, "id": vocab.mask},
            "eos": {"token": EOS, "id": vocab.eos},
            "pad": {"token": PAD, "id": vocab.pad},
            "image": IMAGE,
            "audio": AUDIO,
        },
        extra=sections,
        # Batching does not pay on this 0.9 M-parameter LM: a pass of 8 rows took 7.2x one row
        # (npm run bench, docs/bench/default-model.md), so the runtime decodes one row per pass.
        max_batch_size=1,
    )
    for src in extra_files:
        shutil.copy(src, out)
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lm", required=True)
    ap.add_argument("--vision")
    ap.add_argument("--audio")
    ap.add_argument("--images", help="the vision training set (its processor.json goes into the manifest)")
    ap.add_argument("--audio-set", help="the audio training set (its feature_extractor.json goes into the manifest)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="unmask-default")
    ap.add_argument(
        "--description",
        default="The embedded default model: a LLaDA-style masked diffusion LM with a Dimple-style "
        "vision tower and a DIFFA-style audio encoder and dual adapter, trained on the shapes and smart-home worlds "
        "(tools/train/build_default_model.sh, docs/default-model.md).",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    manifest = assemble(
        args.lm, args.out, args.vision, args.audio, args.images, args.audio_set, args.name, args.description
    )
    size = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(json.dumps({"out": args.out, "bytes": size, "vision": manifest.get("vision", {}).get("tokens_per_image")}))


if __name__ == "__main__":
    main()
