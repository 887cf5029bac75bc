#!/usr/bin/env python3
"""Converts EVOUNA's NQ.json (Apache-2.0; Wang, Cheng, et al., "Evaluating Open-QA Evaluation",
NeurIPS 2023 Datasets and Benchmarks, arXiv 2305.12421, github.com/wangcunxiang/QA-Eval) to Keel's
multi-model benchmark format, one line per question:
  {"id": "nq-<1-based position in NQ.json>", "question": ..., "answers": [{"model", "answer", "label"}]}
Kept: the questions that are not `improper` and have an answer and a boolean human judgement from all
five systems (3,014 of 3,610). The gold answers are left out (FEWL does not use them).
Usage: python3 convert_nq.py NQ.json nq.jsonl.gz"""
import gzip, json, sys

MODELS = ["fid", "gpt35", "chatgpt", "gpt4", "newbing"]


def clean(x):
    if x.get("improper"):
        return False
    return all(str(x.get("answer_" + m) or "").strip() and isinstance(x.get("judge_" + m), bool) for m in MODELS)


def main(src, dst):
    data = json.load(open(src, encoding="utf-8"))
    with gzip.GzipFile(dst, "wb", mtime=0) as gz:
        for i, x in enumerate(data, 1):
            if not clean(x):
                continue
            rec = {"id": "nq-%d" % i, "question": x["question"],
                   "answers": [{"model": m, "answer": x["answer_" + m],
                                "label": "truthful" if x["judge_" + m] else "hallucinated"} for m in MODELS]}
            gz.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
