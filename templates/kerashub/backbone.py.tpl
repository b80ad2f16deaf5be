import keras
from keras import ops

from keras_hub.src.api_export import keras_hub_export
from keras_hub.src.layers.modeling.reversible_embedding import (
    ReversibleEmbedding,
)
{{#if ABSPOS}}
from keras_hub.src.layers.modeling.position_embedding import PositionEmbedding
{{/if}}
from keras_hub.src.models.backbone import Backbone
from keras_hub.src.models.{{NAME}}.{{NAME}}_{{BLOCK}} import (
    {{CLASS}}Transformer{{BLOCK_CLASS}},
)
{{#if RMS}}
from keras_hub.src.models.{{NAME}}.{{NAME}}_layernorm import {{CLASS}}LayerNorm
{{/if}}


def _{{NAME}}_kernel_initializer(stddev=0.02):
    return keras.initializers.RandomNormal(stddev=stddev)


@keras_hub_export("keras_hub.models.{{CLASS}}Backbone")
class {{CLASS}}Backbone(Backbone):
    """The {{CLASS}} Transformer core network, written by `ckpt scaffold`
    from a Hugging Face `{{MODEL_TYPE}}` config.

{{#if ENCODER}}
    A bidirectional encoder: token, position and segment embeddings, then
    `num_layers` Transformer encoder blocks and a pooled [CLS] output.
{{#else}}
    A causal decoder: token embeddings, `num_layers` Transformer decoder
    blocks and a final normalization.
{{/if}}

    Args:
        vocabulary_size: int. The size of the token vocabulary.
        num_layers: int. The number of transformer layers.
        num_query_heads: int. The number of query attention heads.
        num_key_value_heads: int. The number of key and value attention heads
            ({{ATTN_DESC}}).
        hidden_dim: int. The size of the transformer hidden state.
        intermediate_dim: int. The inner size of the feedforward network.
        head_dim: int. The size of each attention head.
        layer_norm_epsilon: float. Epsilon of the normalization layers.
{{#if ROPE}}
        rope_max_wavelength: float. The maximum wavelength of the rotary
            position embedding.
        rope_scaling_factor: float. The rotary embedding's scaling factor.
{{/if}}
        max_sequence_length: int. The longest sequence the model takes.
        tie_word_embeddings: bool. Whether the output projection reuses the
            token embedding.
        dropout: float. Dropout rate.
        dtype: string or `keras.mixed_precision.DTypePolicy`.
    """

    def __init__(
        self,
        vocabulary_size={{V}},
        num_layers={{L}},
        num_query_heads={{Q}},
        num_key_value_heads={{K}},
        hidden_dim={{H}},
        intermediate_dim={{I}},
        head_dim={{D}},
        layer_norm_epsilon={{EPS}},
{{#if ROPE}}
        rope_max_wavelength={{THETA}},
        rope_scaling_factor={{ROPE_FACTOR}},
{{/if}}
        max_sequence_length={{P}},
{{#if ENCODER}}
        num_segments=2,
{{/if}}
{{#if TIED}}
        tie_word_embeddings=True,
{{#else}}
        tie_word_embeddings=False,
{{/if}}
        dropout=0.0,
        dtype=None,
        **kwargs,
    ):
        # === Layers ===
        self.token_embedding = ReversibleEmbedding(
            input_dim=vocabulary_size,
            output_dim=hidden_dim,
            tie_weights=tie_word_embeddings,
            embeddings_initializer=_{{NAME}}_kernel_initializer(stddev=0.01),
            dtype=dtype,
            name="token_embedding",
        )
{{#if ABSPOS}}
        self.position_embedding = PositionEmbedding(
            sequence_length=max_sequence_length,
            initializer=_{{NAME}}_kernel_initializer(),
            dtype=dtype,
            name="position_embedding",
        )
{{/if}}
{{#if ENCODER}}
        self.segment_embedding = keras.layers.Embedding(
            input_dim=num_segments,
            output_dim=hidden_dim,
            embeddings_initializer=_{{NAME}}_kernel_initializer(),
            dtype=dtype,
            name="segment_embedding",
        )
        self.embeddings_layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=dtype, name="embeddings_layer_norm"
        )
{{/if}}
        self.transformer_layers = []
        for i in range(num_layers):
            layer = {{CLASS}}Transformer{{BLOCK_CLASS}}(
                intermediate_dim=intermediate_dim,
                num_query_heads=num_query_heads,
                num_key_value_heads=num_key_value_heads,
                head_dim=head_dim,
{{#if ROPE}}
                rope_max_wavelength=rope_max_wavelength,
                rope_scaling_factor=rope_scaling_factor,
{{/if}}
                layer_norm_epsilon=layer_norm_epsilon,
                activation="{{ACT}}",
                kernel_initializer=_{{NAME}}_kernel_initializer(),
                dropout=dropout,
                dtype=dtype,
                name=f"transformer_layer_{i}",
            )
            self.transformer_layers.append(layer)
{{#if ENCODER}}
        self.pooled_dense = keras.layers.Dense(
            hidden_dim,
            kernel_initializer=_{{NAME}}_kernel_initializer(),
            activation="tanh",
            dtype=dtype,
            name="pooled_dense",
        )
{{#else}}
{{#if RMS}}
        self.layer_norm = {{CLASS}}LayerNorm(
            epsilon=layer_norm_epsilon,
            dtype=dtype,
            name="sequence_output_layernorm",
        )
{{#else}}
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=dtype, name="layer_norm"
        )
{{/if}}
{{/if}}

        # === Functional Model ===
        token_id_input = keras.Input(
            shape=(None,), dtype="int32", name="token_ids"
        )
        padding_mask_input = keras.Input(
            shape=(None,), dtype="int32", name="padding_mask"
        )
        x = self.token_embedding(token_id_input)
{{#if ABSPOS}}
        x = x + self.position_embedding(x)
{{/if}}
{{#if ENCODER}}
        segment_id_input = keras.Input(
            shape=(None,), dtype="int32", name="segment_ids"
        )
        x = self.embeddings_layer_norm(x + self.segment_embedding(segment_id_input))
        for transformer_layer in self.transformer_layers:
            x = transformer_layer(x, padding_mask=padding_mask_input)
        inputs = {
            "token_ids": token_id_input,
            "segment_ids": segment_id_input,
            "padding_mask": padding_mask_input,
        }
        outputs = {
            "sequence_output": x,
            "pooled_output": self.pooled_dense(x[:, 0, :]),
        }
{{#else}}
        for transformer_layer in self.transformer_layers:
            x = transformer_layer(x, decoder_padding_mask=padding_mask_input)
        inputs = {
            "token_ids": token_id_input,
            "padding_mask": padding_mask_input,
        }
        outputs = self.layer_norm(x)
{{/if}}
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.head_dim = head_dim
        self.layer_norm_epsilon = layer_norm_epsilon
{{#if ROPE}}
        self.rope_max_wavelength = rope_max_wavelength
        self.rope_scaling_factor = rope_scaling_factor
{{/if}}
        self.max_sequence_length = max_sequence_length
{{#if ENCODER}}
        self.num_segments = num_segments
{{/if}}
        self.tie_word_embeddings = tie_word_embeddings
        self.dropout = dropout

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "num_layers": self.num_layers,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads,
                "hidden_dim": self.hidden_dim,
                "intermediate_dim": self.intermediate_dim,
                "head_dim": self.head_dim,
                "layer_norm_epsilon": self.layer_norm_epsilon,
{{#if ROPE}}
                "rope_max_wavelength": self.rope_max_wavelength,
                "rope_scaling_factor": self.rope_scaling_factor,
{{/if}}
                "max_sequence_length": self.max_sequence_length,
{{#if ENCODER}}
                "num_segments": self.num_segments,
{{/if}}
                "tie_word_embeddings": self.tie_word_embeddings,
                "dropout": self.dropout,
            }
        )
        return config
