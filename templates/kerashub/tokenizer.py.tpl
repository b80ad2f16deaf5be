from keras_hub.src.api_export import keras_hub_export
from keras_hub.src.models.{{NAME}}.{{NAME}}_backbone import {{CLASS}}Backbone
{{#if BPE}}
from keras_hub.src.tokenizers.byte_pair_tokenizer import BytePairTokenizer
{{/if}}
{{#if SPM}}
from keras_hub.src.tokenizers.sentence_piece_tokenizer import (
    SentencePieceTokenizer,
)
{{/if}}
{{#if WORDPIECE}}
from keras_hub.src.tokenizers.word_piece_tokenizer import WordPieceTokenizer
{{/if}}


@keras_hub_export(
    [
        "keras_hub.tokenizers.{{CLASS}}Tokenizer",
        "keras_hub.models.{{CLASS}}Tokenizer",
    ]
)
class {{CLASS}}Tokenizer({{TOK_BASE}}):
    """The {{CLASS}} tokenizer ({{TOK_BASE}}).

    Its assets are what `ckpt convert ... --to kerashub` writes under
    assets/tokenizer/ for this kind of tokenizer.
    """

    backbone_cls = {{CLASS}}Backbone

{{#if !TOK_KNOWN}}
    # TODO: the tokenizer kind was guessed from model_type '{{MODEL_TYPE}}';
    # check tokenizer.json's "model.type" (BPE, Unigram, WordPiece).
{{/if}}
{{#if BPE}}
    def __init__(self, vocabulary=None, merges=None, **kwargs):
        # TODO: the special tokens: take them from tokenizer_config.json.
        self._add_special_token("<|endoftext|>", "end_token")
        self.start_token_id = None
        self.pad_token_id = 0
        super().__init__(vocabulary=vocabulary, merges=merges, **kwargs)
{{/if}}
{{#if SPM}}
    def __init__(self, proto, **kwargs):
        # TODO: the special tokens: take them from tokenizer_config.json.
        self._add_special_token("<s>", "start_token")
        self._add_special_token("</s>", "end_token")
        self.pad_token_id = 0
        super().__init__(proto=proto, **kwargs)
{{/if}}
{{#if WORDPIECE}}
    def __init__(self, vocabulary=None, lowercase=False, **kwargs):
        # TODO: the special tokens: take them from tokenizer_config.json.
        self._add_special_token("[CLS]", "cls_token")
        self._add_special_token("[SEP]", "sep_token")
        self._add_special_token("[PAD]", "pad_token")
        self._add_special_token("[MASK]", "mask_token")
        self.start_token_id = self.cls_token_id
        self.end_token_id = self.sep_token_id
        super().__init__(vocabulary=vocabulary, lowercase=lowercase, **kwargs)
{{/if}}
