from keras_hub.src.api_export import keras_hub_export
from keras_hub.src.models.{{NAME}}.{{NAME}}_backbone import {{CLASS}}Backbone
from keras_hub.src.models.{{NAME}}.{{NAME}}_tokenizer import {{CLASS}}Tokenizer
{{#if ENCODER}}
from keras_hub.src.models.masked_lm_preprocessor import MaskedLMPreprocessor
{{#else}}
from keras_hub.src.models.causal_lm_preprocessor import CausalLMPreprocessor
{{/if}}


@keras_hub_export("keras_hub.models.{{CLASS}}{{TASK}}Preprocessor")
{{#if ENCODER}}
class {{CLASS}}{{TASK}}Preprocessor(MaskedLMPreprocessor):
{{#else}}
class {{CLASS}}{{TASK}}Preprocessor(CausalLMPreprocessor):
{{/if}}
    """Turns strings into the {{CLASS}} {{TASK}}'s inputs ({{CLASS}}Tokenizer)."""

    backbone_cls = {{CLASS}}Backbone
    tokenizer_cls = {{CLASS}}Tokenizer

    def __init__(self, tokenizer, sequence_length=1024, **kwargs):
        # TODO: check add_start_token / add_end_token against the HF tokenizer's
        # post-processor (tokenizer.json "post_processor").
        super().__init__(tokenizer=tokenizer, sequence_length=sequence_length, **kwargs)
