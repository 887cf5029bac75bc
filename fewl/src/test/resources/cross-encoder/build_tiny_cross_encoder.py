# Builds a tiny "cross-encoder" and exports it to ONNX with torch 1.13's exporter:
# token embedding (vocab of tokenizer.json) -> masked mean over the pair -> linear -> one logit.
import json, torch, sys
torch.manual_seed(0)
vocab = json.load(open(sys.argv[1]))["model"]["vocab"]
V = max(vocab.values()) + 1
class CE(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.emb = torch.nn.Embedding(V, 8); s.seg = torch.nn.Embedding(2, 8); s.out = torch.nn.Linear(8, 1)
    def forward(s, input_ids, attention_mask, token_type_ids):
        h = s.emb(input_ids) + s.seg(token_type_ids)
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
        return s.out(torch.tanh(pooled))
model = CE().eval()
ids = torch.tensor([[1, 5, 6, 2, 7, 2]]); mask = torch.ones_like(ids); tt = torch.tensor([[0, 0, 0, 0, 1, 1]])
torch.onnx.export(model, (ids, mask, tt), sys.argv[2], input_names=["input_ids", "attention_mask", "token_type_ids"],
                  output_names=["logits"], dynamic_axes={"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"},
                                                         "token_type_ids": {0: "b", 1: "t"}, "logits": {0: "b"}}, opset_version=13)
torch.save(model.state_dict(), sys.argv[2] + ".pt")
# expected logits for pairs tokenized by hand: [CLS] a [SEP] b [SEP], whitespace words, lower case, unknown -> [UNK]
def enc(a, b):
    def w(t): return [vocab.get(x, vocab["[UNK]"]) for x in t.lower().split()]
    A, B = w(a), w(b)
    ids = [vocab["[CLS]"]] + A + [vocab["[SEP]"]] + B + [vocab["[SEP]"]]
    tt = [0] * (len(A) + 2) + [1] * (len(B) + 1)
    return ids, tt
pairs = [("paris is the capital", "the capital is paris"), ("paris", "lyon"), ("wilhelm röntgen", "the first prize went to wilhelm röntgen in 1901"), ("zebra", "paris")]
out = []
for a, b in pairs:
    i, t = enc(a, b)
    with torch.no_grad():
        l = model(torch.tensor([i]), torch.ones(1, len(i), dtype=torch.long), torch.tensor([t]))[0, 0].item()
    out.append({"a": a, "b": b, "input_ids": i, "token_type_ids": t, "logit": l})
json.dump(out, open(sys.argv[3], "w"), indent=1, ensure_ascii=False)
print(out)
