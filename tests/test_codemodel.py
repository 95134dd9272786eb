"""Chapter 3's code model: tokenizer, example encoding, the GPT, its KV
cache and sampling, and that training memorizes (how a random split leaks)."""

import pytest
import torch

from gobig.methods.code import codemodel as cm
from gobig.methods.code.codemodel import GPT, GPTConfig

pytestmark = pytest.mark.unit

PYTHON_SOURCE = [
    "import sys\n\n\ndef main():\n    n = int(sys.stdin.readline())\n    print(n * 2)\n\n\nmain()\n",
    "def f(a, b):\n\treturn a + b  # tabs\n\n\nprint(f(1, 2))\n",
    "s = input()\nprint('yes' if s == s[::-1] else 'no')\n",
    "x = 'naïve café – ünïcödé 你好 🙂'\nprint(len(x))\n",
    "for i in range(10):\n    if i % 2:\n        continue\n    print(i, end=' ')\r\n",
]

PAIRS = [
    ("Read n and print twice n.", "n = int(input())\nprint(2 * n)\n"),
    ("Read a string and print it reversed.", "s = input()\nprint(s[::-1])\n"),
    ("Read two integers and print their sum.", "a, b = map(int, input().split())\nprint(a + b)\n"),
    ("Print the numbers from 1 to n.", "for i in range(1, int(input()) + 1):\n    print(i)\n"),
    ("Read a word and print it in upper case.", "print(input().upper())\n"),
    ("Read n numbers and print the largest.", "input()\nprint(max(map(int, input().split())))\n"),
]


@pytest.fixture(scope="module")
def tokenizer():
    texts = PYTHON_SOURCE * 4 + [s for pair in PAIRS for s in pair] * 4
    return cm.train_tokenizer(texts, vocab_size=420)


def tiny_model(vocab_size, seed=0, max_seq_len=64, d_model=32, n_layer=2, n_head=4):
    torch.manual_seed(seed)
    return GPT(
        GPTConfig(vocab_size=vocab_size, n_layer=n_layer, n_head=n_head, d_model=d_model, max_seq_len=max_seq_len)
    ).eval()


# ---- tokenizer -----------------------------------------------------------------


def test_tokenizer_round_trips_python_source_exactly(tokenizer):
    unseen = "def g(x):\n\t\treturn {'ключ': x}  # ∑ 🚀\n\n\n   \n\tpass\r\n"
    for text in [*PYTHON_SOURCE, unseen, "", " ", "\n\n"]:
        ids = tokenizer.encode(text).ids
        assert tokenizer.decode(ids) == text
    assert tokenizer.token_to_id("<unk>") is None  # byte-level: nothing is unknown


def test_tokenizer_is_deterministic_and_specials_are_fixed(tokenizer):
    texts = PYTHON_SOURCE * 4 + [s for pair in PAIRS for s in pair] * 4
    again = cm.train_tokenizer(texts, vocab_size=420)
    assert again.to_str() == tokenizer.to_str()
    assert tokenizer.get_vocab_size() > 256 + len(cm.SPECIAL_TOKENS)  # merges were learned
    assert (
        [tokenizer.token_to_id(t) for t in cm.SPECIAL_TOKENS]
        == [cm.PAD_ID, cm.BOS_ID, cm.STATEMENT_ID, cm.SOLUTION_ID, cm.EOS_ID]
        == [0, 1, 2, 3, 4]
    )
    loaded = type(tokenizer).from_str(tokenizer.to_str())
    cm.check_special_tokens(loaded)
    text = "x = 1<|eos|>y<|statement|><|solution|>"
    assert loaded.encode(text).ids == tokenizer.encode(text).ids
    ids = tokenizer.encode(text).ids
    assert ids[-2:] == [cm.STATEMENT_ID, cm.SOLUTION_ID] and cm.EOS_ID in ids
    for token, token_id in zip(cm.SPECIAL_TOKENS, range(5)):
        assert tokenizer.encode(token).ids == [token_id]


# ---- examples ------------------------------------------------------------------


def test_encode_example_masks_exactly_the_solution_and_eos(tokenizer):
    statement, solution = PAIRS[2]
    example = cm.encode_example(tokenizer, statement, solution, max_len=256)
    assert example.ids == tokenizer.encode(cm.format_example(statement, solution)).ids
    n_solution = len(tokenizer.encode(solution).ids)
    assert example.mask == [0] * (len(example.ids) - n_solution - 1) + [1] * (n_solution + 1)
    assert tokenizer.decode([t for t, m in zip(example.ids, example.mask) if m and t != cm.EOS_ID]) == solution
    assert example.ids[-1] == cm.EOS_ID and not example.truncated
    prompt = cm.encode_prompt(tokenizer, statement, max_seq_len=256, max_new_tokens=64)
    assert prompt == tokenizer.encode(cm.format_example(statement)).ids == example.ids[: len(prompt)]


def test_long_statements_are_cut_in_the_middle_and_long_solutions_dropped(tokenizer):
    head, tail = "Read two integers.", "Print their sum."
    statement = head + " filler words" * 200 + " " + tail
    solution = PAIRS[2][1]
    n_solution = len(tokenizer.encode(solution).ids)
    max_len = n_solution + 3 + 40
    example = cm.encode_example(tokenizer, statement, solution, max_len)
    assert example.truncated and len(example.ids) == max_len
    text = tokenizer.decode(example.ids[1 : example.ids.index(cm.SOLUTION_ID)])
    assert text.startswith(head) and text.endswith(tail) and len(text) < len(statement)
    assert tokenizer.decode(example.ids[-n_solution - 1 : -1]) == solution and sum(example.mask) == n_solution + 1

    too_long = "print(1)\n" * 100
    examples, counts = cm.encode_examples(tokenizer, [(statement, solution), (head, too_long), PAIRS[0]], max_len)
    assert counts == {"kept": 2, "truncated": 1, "dropped": 1}
    assert [tokenizer.decode(e.ids[e.ids.index(cm.SOLUTION_ID) + 1 : -1]) for e in examples] == [solution, PAIRS[0][1]]
    # A statement must keep some tokens when asked to.
    assert cm.encode_example(tokenizer, statement, solution, n_solution + 3 + 5, min_statement_tokens=8) is None


def test_a_fixed_statement_budget_cuts_every_statement_as_the_prompt_does(tokenizer):
    """With ``statement_budget`` the example's statement is the prompt's,
    whatever the solution's length, and a solution fits only beside a full
    budget: the rule that keeps a twin's prompt equal to its training text."""
    head, tail = "Read two integers.", "Print their sum."
    statement = head + " filler words" * 200 + " " + tail
    max_len, max_new = 80, 50
    budget = cm.prompt_budget(max_len, max_new)
    assert budget == 28
    prompt = cm.encode_prompt(tokenizer, statement, max_len, max_new)
    for _, solution in PAIRS[:3]:
        example = cm.encode_example(tokenizer, statement, solution, max_len, statement_budget=budget)
        assert example.ids[: len(prompt)] == prompt and example.truncated
        assert len(example.ids) <= max_len
    # A solution longer than the generation length is dropped, even beside a short statement.
    long_solution = next(
        text
        for k in range(1, 100)
        if max_new
        <= len(tokenizer.encode(text := "print(1)\n" * k).ids)
        <= max_len - 3 - len(tokenizer.encode("Short.").ids)
    )
    n_long = len(tokenizer.encode(long_solution).ids)
    assert not cm.fits(n_long, max_new)
    assert cm.encode_example(tokenizer, "Short.", long_solution, max_len, statement_budget=budget) is None
    assert cm.encode_example(tokenizer, "Short.", long_solution, max_len) is not None  # without the rule it would fit
    assert cm.fits(max_new - 1, max_new) and not cm.fits(max_new, max_new)
    with pytest.raises(ValueError, match="no room"):
        cm.prompt_budget(10, 9)


def test_token_lengths_count_without_special_tokens(tokenizer):
    texts = [solution for _, solution in PAIRS]
    assert cm.token_lengths(tokenizer, texts) == [len(tokenizer.encode(t).ids) for t in texts]
    assert cm.token_lengths(tokenizer, [""]) == [0]


def test_length_grouped_batches_cover_each_example_once_and_group_lengths():
    lengths = [int(x) for x in torch.randint(1, 1000, (100,), generator=torch.Generator().manual_seed(1))]
    batches = cm.training.length_grouped_batches(lengths, 4, torch.Generator().manual_seed(0))
    assert sorted(i for b in batches for i in b) == list(range(100)) and len(batches) == 25

    # Padding waste: grouped batches pad far less than shuffled ones.
    def waste(groups):
        return sum(len(b) * max(lengths[i] for i in b) - sum(lengths[i] for i in b) for b in groups)

    shuffled = torch.randperm(100, generator=torch.Generator().manual_seed(0)).tolist()
    assert waste(batches) < waste([shuffled[i : i + 4] for i in range(0, 100, 4)]) / 3


def test_the_grouped_sampler_yields_whole_epochs(tokenizer):
    examples, _ = cm.encode_examples(tokenizer, PAIRS, max_len=128)
    sampler = cm.example_sampler(examples, 2, torch.Generator().manual_seed(0), group_by_length=True)
    firsts = sorted(tuple(row[:6]) for step in range(3) for row in sampler(step)[0].tolist())
    assert firsts == sorted(tuple(e.ids[:6]) for e in examples)  # one epoch: each example once


def test_batches_pad_right_with_zero_mask_and_blocks_pack_files(tokenizer):
    examples, _ = cm.encode_examples(tokenizer, PAIRS[:3], max_len=128)
    ids, targets, mask = cm.pad_batch(examples)
    longest = max(len(e.ids) for e in examples)
    assert ids.shape == targets.shape == mask.shape == (3, longest - 1)
    for row, e in enumerate(examples):
        n = len(e.ids)
        assert ids[row, : n - 1].tolist() == e.ids[:-1] and targets[row, : n - 1].tolist() == e.ids[1:]
        assert mask[row].tolist() == e.mask[1:] + [0] * (longest - n)
        assert (ids[row, n:] == cm.PAD_ID).all() and (targets[row, n - 1 :] == cm.PAD_ID).all()
    assert cm.pad_batch(examples, pad_to=128)[0].shape == (3, 127)
    # One batch per epoch of three examples: each example once per batch.
    sampler = cm.example_sampler(examples, 3, torch.Generator().manual_seed(0), pad_to=128)
    for step in range(3):
        ids = sampler(step)[0]
        assert sorted(row[:8] for row in ids.tolist()) == sorted(e.ids[:8] for e in examples)
    assert cm.example_sampler(examples, 7, torch.Generator())(0)[0].shape[0] == 7

    blocks = cm.pack_blocks(tokenizer, PYTHON_SOURCE, block_len=16)
    stream = [t for text in PYTHON_SOURCE for t in [cm.BOS_ID, *tokenizer.encode(text).ids, cm.EOS_ID]]
    assert blocks.shape == ((len(stream) - 1) // 16, 17)
    assert blocks[:, :-1].flatten().tolist() + [blocks[-1, -1].item()] == stream[: blocks.numel() - len(blocks) + 1]
    ids, targets, mask = cm.block_sampler(blocks, 4, torch.Generator().manual_seed(0))(0)
    assert ids.shape == (4, 16) and (targets[:, :-1] == ids[:, 1:]).all() and mask.all()


# ---- model ---------------------------------------------------------------------


def test_gpt_shapes_causality_and_parameter_count():
    model = tiny_model(100)
    ids = torch.randint(0, 100, (3, 20), generator=torch.Generator().manual_seed(1))
    logits, loss = model(ids)
    assert logits.shape == (3, 20, 100) and loss is None
    changed = ids.clone()
    changed[:, 12] = (changed[:, 12] + 1) % 100
    other = model(changed)[0]
    assert torch.allclose(logits[:, :12], other[:, :12], atol=1e-6, rtol=0) and not torch.allclose(
        logits[:, 12:], other[:, 12:]
    )

    unique = {id(p): p.numel() for m in model.modules() for p in m.parameters(recurse=False)}
    assert model.lm_head.weight is model.wte.weight
    assert model.num_parameters() == sum(unique.values()) == sum(p.numel() for p in model.parameters())
    c = model.config
    per_layer = 12 * c.d_model**2 + 13 * c.d_model  # qkv, proj, mlp weights and biases, two LayerNorms
    assert (
        model.num_parameters()
        == c.vocab_size * c.d_model + c.max_seq_len * c.d_model + c.n_layer * per_layer + 2 * c.d_model
    )
    assert (
        model.flops_per_token(20)
        == 6 * (model.num_parameters() - c.max_seq_len * c.d_model) + 12 * c.n_layer * c.d_model * 20
    )

    targets = torch.randint(0, 100, (3, 20))
    mask = torch.zeros(3, 20)
    mask[:, 5:9] = 1
    _, masked = model(ids, targets, mask)
    expected = torch.nn.functional.cross_entropy(logits[:, 5:9].reshape(-1, 100), targets[:, 5:9].reshape(-1))
    assert torch.allclose(masked, expected, atol=1e-6)


def test_the_loss_on_masked_tokens_alone_equals_the_masked_mean():
    model = tiny_model(40, seed=3)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 40, (3, 20), generator=generator)
    targets = torch.randint(0, 40, (3, 20), generator=generator)
    mask = (torch.rand(3, 20, generator=generator) > 0.4).long()
    logits, full = model(ids, targets, mask)
    none, selected = model(ids, targets, mask, loss_only=True)
    assert none is None and logits.shape == (3, 20, 40)
    assert selected.item() == pytest.approx(full.item(), rel=1e-5)
    assert model(ids, targets, torch.zeros_like(mask), loss_only=True)[1].item() == 0.0


def test_kv_cache_logits_equal_a_full_forward():
    model = tiny_model(100)
    ids = torch.randint(0, 100, (2, 24), generator=torch.Generator().manual_seed(2))
    full = model(ids)[0]
    cache = cm.KVCache(model.config, 2, 24, torch.device("cpu"))
    with torch.no_grad():
        parts = [model(ids[:, :10], kv_cache=cache)[0]]  # prefill
        parts += [model(ids[:, 10:15], kv_cache=cache, start_pos=10)[0]]  # a chunk after a prefix
        parts += [model(ids[:, t : t + 1], kv_cache=cache, start_pos=t)[0] for t in range(15, 24)]  # decoding
    assert torch.allclose(torch.cat(parts, dim=1), full, atol=1e-5, rtol=0)


def naive_greedy(model, prompt, max_new_tokens, eos_id):
    """Reference: no cache, the whole sequence through the model each step."""
    seq = list(prompt)
    with torch.no_grad():
        for _ in range(max_new_tokens):
            token = model(torch.tensor([seq]))[0][0, -1].argmax().item()
            if token == eos_id:
                break
            seq.append(token)
    return seq[len(prompt) :]


def test_greedy_generation_with_cache_equals_the_naive_loop():
    model = tiny_model(100, seed=3)
    prompt = [5, 17, 42, 8, 99, 3]
    reference = naive_greedy(model, prompt, 30, eos_id=cm.EOS_ID)
    samples = cm.generate(
        model,
        prompt,
        num_samples=5,
        max_new_tokens=30,
        temperature=0.0,
        generator=torch.Generator().manual_seed(0),
        batch_size=2,
    )
    assert samples == [reference] * 5
    # An eos id the model emits cuts the sample there, without the eos.
    eos = reference[7]
    cut = cm.generate(model, prompt, 3, 30, 0.0, torch.Generator(), batch_size=3, eos_id=eos)
    assert cut == [reference[: reference.index(eos)]] * 3


def test_sampling_is_reproducible_per_seed_and_stops_at_eos():
    model = tiny_model(50, seed=4, max_seq_len=128)

    def draw(seed, **kwargs):
        return cm.generate(
            model,
            [7, 8, 9],
            12,
            40,
            temperature=1.0,
            generator=torch.Generator().manual_seed(seed),
            batch_size=5,
            **kwargs,
        )

    first = draw(0)
    assert draw(0) == first and draw(1) != first
    assert len({tuple(s) for s in first}) > 1
    assert draw(0, top_k=5, top_p=0.9) == draw(0, top_k=5, top_p=0.9)

    # Every position then gives the same distribution, eos at ~20%: samples
    # end at different lengths, each row on its own, and without the eos.
    with torch.no_grad():
        model.ln_f.weight.zero_()
        model.ln_f.bias.zero_()
        model.ln_f.bias[0] = 1.0
        model.wte.weight[:, 0] = 0.0
        model.wte.weight[cm.EOS_ID, 0] = 2.5  # e^2.5 / (e^2.5 + 49)
    ended = draw(0)
    assert len(ended) == 12 and all(cm.EOS_ID not in s for s in ended)
    assert max(len(s) for s in ended) < 40 and len({len(s) for s in ended}) > 3


def test_sample_next_filters_top_k_and_top_p():
    logits = torch.tensor([[4.0, 3.0, 2.0, 1.0, 0.0]]).repeat(2000, 1)
    generator = torch.Generator().manual_seed(0)
    assert set(cm.sample_next(logits, 1.0, generator, top_k=2).tolist()) == {0, 1}
    # softmax: 0.64, 0.24, 0.09, ...: top_p 0.7 keeps the two tokens that cross 0.7
    assert set(cm.sample_next(logits, 1.0, generator, top_p=0.7).tolist()) == {0, 1}
    assert set(cm.sample_next(logits, 1.0, generator).tolist()) == {0, 1, 2, 3, 4}
    assert (cm.sample_next(logits, 0.0, generator) == 0).all()


# ---- training --------------------------------------------------------------------


def test_training_memorizes_solutions_and_greedy_decoding_reproduces_them(tokenizer):
    """What makes a random split leak: a problem seen in training is solved
    from memory when its duplicate turns up in validation."""
    examples, counts = cm.encode_examples(tokenizer, PAIRS, max_len=64)
    assert counts["dropped"] == 0
    model = tiny_model(tokenizer.get_vocab_size(), seed=0, max_seq_len=64, d_model=64).train()
    cpu = torch.device("cpu")
    before = cm.evaluate_loss(model, examples, batch_size=4, device=cpu)
    sampler = cm.example_sampler(examples, batch_size=6, generator=torch.Generator().manual_seed(0))
    result = cm.train_lm(model, sampler, steps=200, lr=3e-3, warmup=20, weight_decay=0.0, device=cpu, log_every=50)
    after = cm.evaluate_loss(model, examples, batch_size=4, device=cpu)
    assert [row["step"] for row in result["history"]] == [50, 100, 150, 200]
    assert before > 5.0 and after < before / 100, (before, after)
    assert result["history"][-1]["loss"] < result["history"][0]["loss"] / 5
    assert result["tokens_per_s"] > 0 and result["mfu"] is None  # no MFU on CPU

    for statement, solution in PAIRS:
        prompt = cm.encode_prompt(tokenizer, statement, max_seq_len=64, max_new_tokens=40)
        [sample] = cm.generate(model, prompt, 1, 40, temperature=0.0, generator=torch.Generator(), batch_size=1)
        assert tokenizer.decode(sample) == solution


def test_train_lm_takes_an_iterable_and_weight_decay_skips_vectors():
    model = tiny_model(30, seed=5, max_seq_len=16).train()
    blocks = torch.randint(0, 30, (8, 17), generator=torch.Generator().manual_seed(0))
    batches = [(blocks[:, :-1], blocks[:, 1:], torch.ones(8, 16))] * 3
    biases = [p.detach().clone() for p in model.parameters() if p.dim() < 2]
    result = cm.train_lm(
        model, iter(batches), steps=3, lr=1e-3, warmup=1, weight_decay=0.1, device=torch.device("cpu"), log_every=10
    )
    assert [row["step"] for row in result["history"]] == [3] and result["timed_steps"] == 2
    assert all(not torch.equal(b, p) for b, p in zip(biases, (p for p in model.parameters() if p.dim() < 2)))
    assert [cm.training._lr_factor(s, 10, 2, 0.1) for s in (0, 1, 2)] == [0.5, 1.0, 1.0]
    assert cm.training._lr_factor(10, 10, 2, 0.1) == pytest.approx(0.1)


def test_a_sampler_with_no_examples_is_an_error_not_an_endless_loop():
    import torch

    from gobig.methods.code import codemodel

    with pytest.raises(ValueError, match="no examples"):
        codemodel.example_sampler([], 4, torch.Generator().manual_seed(0))


def test_a_stopped_fine_tuning_goes_on_from_its_snapshot_to_the_uninterrupted_end(tokenizer, tmp_path, monkeypatch):
    """``train_lm`` with a snapshot: stopped after a history row (here step
    20 of 40), a rerun goes on from there, draws the batches already
    trained without training on them, and ends with the uninterrupted run's
    weights, history and batch generator; the snapshot is then removed."""
    examples, _ = cm.encode_examples(tokenizer, PAIRS, max_len=64)
    cpu = torch.device("cpu")

    def run(snapshot=None):
        model = tiny_model(tokenizer.get_vocab_size(), seed=0, max_seq_len=64).train()
        generator = torch.Generator().manual_seed(0)
        sampler = cm.example_sampler(examples, batch_size=4, generator=generator, group_by_length=True)
        result = cm.train_lm(
            model, sampler, steps=40, lr=3e-3, warmup=4, weight_decay=0.1, device=cpu, log_every=10,
            snapshot=snapshot, snapshot_every_s=0.0,
        )  # fmt: skip
        return model, result, generator

    straight, straight_result, straight_generator = run()
    snapshot = tmp_path / "finetune.snapshot.pt"
    real_save = cm.training._save_lm_snapshot

    def save_then_stop(*args, **kwargs):
        real_save(*args, **kwargs)
        if args[-1] == 20:  # the step just saved
            raise KeyboardInterrupt("stopped at step 20")

    with monkeypatch.context() as patch:
        patch.setattr(cm.training, "_save_lm_snapshot", save_then_stop)
        with pytest.raises(KeyboardInterrupt):
            run(snapshot)
    assert snapshot.is_file()
    resumed, resumed_result, resumed_generator = run(snapshot)
    assert resumed_result["resumed_at"] == 20 and resumed_result["timed_steps"] == 19
    assert resumed_result["history"] == straight_result["history"]
    assert all(torch.equal(a, b) for a, b in zip(resumed.state_dict().values(), straight.state_dict().values()))
    assert torch.equal(resumed_generator.get_state(), straight_generator.get_state())  # sampling goes on alike
    assert not snapshot.exists()
