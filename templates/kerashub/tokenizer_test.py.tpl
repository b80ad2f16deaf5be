import os

from keras_hub.src.models.{{NAME}}.{{NAME}}_tokenizer import {{CLASS}}Tokenizer
from keras_hub.src.tests.test_case import TestCase


class {{CLASS}}TokenizerTest(TestCase):
    def setUp(self):
{{#if BPE}}
        self.vocab = ["<|endoftext|>", "a", "b", "ab", "\u0120", "\u0120a"]
        self.vocab = dict([(token, i) for i, token in enumerate(self.vocab)])
        self.merges = ["a b", "\u0120 a"]
        self.init_kwargs = {"vocabulary": self.vocab, "merges": self.merges}
{{/if}}
{{#if SPM}}
        self.init_kwargs = {
            # TODO: a small SentencePiece proto for the test data
            # (keras_hub's tests build one in tools/sentencepiece_testing/).
            "proto": os.path.join(self.get_test_data_dir(), "{{NAME}}_test_vocab.spm")
        }
{{/if}}
{{#if WORDPIECE}}
        self.vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b"]
        self.init_kwargs = {"vocabulary": self.vocab}
{{/if}}
        self.input_data = ["a b", "ab"]

    def test_tokenizer_basics(self):
        self.run_preprocessing_layer_test(
            cls={{CLASS}}Tokenizer,
            init_kwargs=self.init_kwargs,
            input_data=self.input_data,
        )

    def test_files_exist(self):
        self.assertTrue(os.path.exists(__file__))
