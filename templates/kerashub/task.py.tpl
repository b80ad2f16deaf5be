import keras

from keras_hub.src.api_export import keras_hub_export
from keras_hub.src.models.{{NAME}}.{{NAME}}_backbone import {{CLASS}}Backbone
from keras_hub.src.models.{{NAME}}.{{NAME}}_{{TASK_SNAKE}}_preprocessor import (
    {{CLASS}}{{TASK}}Preprocessor,
)
{{#if ENCODER}}
from keras_hub.src.layers.modeling.masked_lm_head import MaskedLMHead
from keras_hub.src.models.masked_lm import MaskedLM
{{#else}}
from keras_hub.src.models.causal_lm import CausalLM
{{/if}}


@keras_hub_export("keras_hub.models.{{CLASS}}{{TASK}}")
{{#if ENCODER}}
class {{CLASS}}{{TASK}}(MaskedLM):
    """A {{CLASS}} masked language model: the backbone and a tied MaskedLMHead."""

    backbone_cls = {{CLASS}}Backbone
    preprocessor_cls = {{CLASS}}{{TASK}}Preprocessor

    def __init__(self, backbone, preprocessor=None, **kwargs):
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.masked_lm_head = MaskedLMHead(
            vocabulary_size=backbone.vocabulary_size,
            token_embedding=backbone.token_embedding,
            activation="{{ACT}}",
            dtype=backbone.dtype_policy,
            name="mlm_head",
        )

        # === Functional Model ===
        inputs = {
            **backbone.input,
            "mask_positions": keras.Input(
                shape=(None,), dtype="int32", name="mask_positions"
            ),
        }
        backbone_outputs = backbone(backbone.input)
        outputs = self.masked_lm_head(
            backbone_outputs["sequence_output"], inputs["mask_positions"]
        )
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
{{#else}}
class {{CLASS}}{{TASK}}(CausalLM):
    """A {{CLASS}} causal language model: the backbone, its (tied or not)
    output projection, and cached generation."""

    backbone_cls = {{CLASS}}Backbone
    preprocessor_cls = {{CLASS}}{{TASK}}Preprocessor

    def __init__(self, backbone, preprocessor=None, **kwargs):
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor

        # === Functional Model ===
        inputs = backbone.input
        hidden_states = backbone(inputs)
        outputs = backbone.token_embedding(hidden_states, reverse=True)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    def call_with_cache(self, token_ids, cache, cache_update_index):
        x = self.backbone.token_embedding(token_ids)
        updated_cache = []
        for i in range(self.backbone.num_layers):
            current_cache = cache[:, i, ...]
            x, next_cache = self.backbone.transformer_layers[i](
                x,
                self_attention_cache=current_cache,
                self_attention_cache_update_index=cache_update_index,
            )
            updated_cache.append(next_cache)
        cache = keras.ops.stack(updated_cache, axis=1)
        hidden_states = x = self.backbone.layer_norm(x)
        logits = self.backbone.token_embedding(x, reverse=True)
        return logits, hidden_states, cache

    def _build_cache(self, token_ids):
        batch_size = keras.ops.shape(token_ids)[0]
        max_length = keras.ops.shape(token_ids)[1]
        shape = [
            batch_size,
            self.backbone.num_layers,
            2,
            max_length,
            self.backbone.num_key_value_heads,
            self.backbone.head_dim,
        ]
        cache = keras.ops.zeros(shape, dtype=self.compute_dtype)
        _, hidden_states, cache = self.call_with_cache(token_ids, cache, 0)
        return hidden_states, cache

    def generate_step(self, inputs, stop_token_ids=None):
        # TODO: port the sampling loop (see keras_hub's llama_causal_lm.py
        # generate_step: _build_cache, then self.sampler over call_with_cache).
        raise NotImplementedError("generate_step")
{{/if}}
