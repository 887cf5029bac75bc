# Builds a tiny BERT-shaped "embedder" for the close-race tests and exports it to ONNX with
# torch 1.13's exporter: token embedding (vocab of tokenizer.json, dim 64) -> 6 x (linear, tanh,
# masked) -> last_hidden_state [batch, tokens, 64]. Random weights (seed 0), no third-party data.
import json, torch, sys
torch.manual_seed(0)
vocab = json.load(open(sys.argv[1]))["model"]["vocab"]
V = max(vocab.values()) + 1
class E(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.emb = torch.nn.Embedding(V, 64); s.layers = torch.nn.ModuleList([torch.nn.Linear(64, 64) for _ in range(6)])
    def forward(s, input_ids, attention_mask):
        h = s.emb(input_ids)
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        for l in s.layers:
            h = torch.tanh(l(h)) * m
        return h
model = E().eval()
ids = torch.tensor([[1, 5, 6, 2]]); mask = torch.ones_like(ids)
torch.onnx.export(model, (ids, mask), sys.argv[2], input_names=["input_ids", "attention_mask"],
                  output_names=["last_hidden_state"], dynamic_axes={"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"},
                                                                    "last_hidden_state": {0: "b", 1: "t"}}, opset_version=13)
