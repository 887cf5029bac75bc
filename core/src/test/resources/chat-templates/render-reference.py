"""Renders conversations.jsonl with Python's Jinja2 set up as transformers sets it up
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, its tojson and
raise_exception) and writes <model>/expected-jinja2.jsonl. Not run by the build; see README.md.
Usage: python3 render-reference.py qwen3"""
import json
import os
import sys

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

here = os.path.dirname(os.path.abspath(__file__))


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def token(t):
    return "" if t is None else t if isinstance(t, str) else t["content"]


for model in sys.argv[1:]:
    with open(os.path.join(here, model, "tokenizer_config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    source = cfg["chat_template"]
    if isinstance(source, list):
        source = next(t["template"] for t in source if t["name"] == "default")
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    template = env.from_string(source)
    out = []
    with open(os.path.join(here, "conversations.jsonl"), encoding="utf-8") as f:
        for line in f:
            c = json.loads(line)
            try:
                text = template.render(messages=c["messages"], add_generation_prompt=c.get("add_generation_prompt", False),
                                       bos_token=token(cfg.get("bos_token")), eos_token=token(cfg.get("eos_token")))
                out.append(json.dumps({"id": c["id"], "text": text}, ensure_ascii=False))
            except jinja2.exceptions.TemplateError as e:
                out.append(json.dumps({"id": c["id"], "error": str(e)}, ensure_ascii=False))
    with open(os.path.join(here, model, "expected-jinja2.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print(model + ": " + str(len(out)) + " conversations (Jinja2 " + jinja2.__version__ + ")")
