import keras
from keras import ops

from keras_hub.src.layers.modeling.transformer_layer_utils import (
    compute_causal_mask,
)
from keras_hub.src.layers.modeling.transformer_layer_utils import (
    merge_padding_and_attention_mask,
)
from keras_hub.src.models.{{NAME}}.{{NAME}}_attention import {{CLASS}}Attention
{{#if RMS}}
from keras_hub.src.models.{{NAME}}.{{NAME}}_layernorm import {{CLASS}}LayerNorm
{{/if}}
from keras_hub.src.utils.keras_utils import clone_initializer


class {{CLASS}}Transformer{{BLOCK_CLASS}}(keras.layers.Layer):
    """One {{CLASS}} {{BLOCK}} block.

{{#if RMS}}
    Pre-norm residual block: RMSNorm, self-attention, RMSNorm, MLP.
{{#else}}
{{#if ENCODER}}
    Post-norm residual block (BERT style): self-attention, LayerNorm, MLP,
    LayerNorm.
{{#else}}
    Pre-norm residual block (GPT-2 style): LayerNorm, self-attention,
    LayerNorm, MLP.
{{/if}}
{{/if}}
{{#if GATED}}
    The MLP is gated: down(act(gate(x)) * up(x)), activation {{ACT}}.
{{#else}}
    The MLP is output(act(intermediate(x))), activation {{ACT}}.
{{/if}}
    """

    def __init__(
        self,
        intermediate_dim,
        num_query_heads,
        num_key_value_heads,
        head_dim,
{{#if ROPE}}
        rope_max_wavelength={{THETA}},
        rope_scaling_factor={{ROPE_FACTOR}},
{{/if}}
        activation="{{ACT}}",
        layer_norm_epsilon={{EPS}},
        kernel_initializer="glorot_uniform",
        dropout=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
{{#if !ACT_KNOWN}}
        # TODO: the Hugging Face activation is '{{HF_ACT}}'; "{{ACT}}" was assumed.
{{/if}}
        self.intermediate_dim = intermediate_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.head_dim = head_dim
{{#if ROPE}}
        self.rope_max_wavelength = rope_max_wavelength
        self.rope_scaling_factor = rope_scaling_factor
{{/if}}
        self.activation = keras.activations.get(activation)
        self.layer_norm_epsilon = layer_norm_epsilon
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.dropout = dropout
        self.supports_masking = True

    def _norm(self, name):
{{#if RMS}}
        return {{CLASS}}LayerNorm(
            epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy, name=name
        )
{{#else}}
        return keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy, name=name
        )
{{/if}}

    def _dense(self, units, name):
        return keras.layers.Dense(
            units,
            kernel_initializer=clone_initializer(self.kernel_initializer),
{{#if RMS}}
            use_bias=False,
{{/if}}
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, sequence_shape):
        self.hidden_dim = sequence_shape[-1]
        self._self_attention_layer = {{CLASS}}Attention(
            num_query_heads=self.num_query_heads,
            num_key_value_heads=self.num_key_value_heads,
            head_dim=self.head_dim,
{{#if ROPE}}
            rope_max_wavelength=self.rope_max_wavelength,
            rope_scaling_factor=self.rope_scaling_factor,
{{/if}}
            kernel_initializer=clone_initializer(self.kernel_initializer),
            dropout=self.dropout,
            dtype=self.dtype_policy,
            name="self_attention",
        )
        self._self_attention_layer.build(sequence_shape)
{{#if RMS}}
        self._self_attention_layernorm = self._norm("self_attention_layernorm")
        self._self_attention_layernorm.build(sequence_shape)
        self._feedforward_layernorm = self._norm("feedforward_layernorm")
        self._feedforward_layernorm.build(sequence_shape)
{{#else}}
        self._self_attention_layer_norm = self._norm("self_attention_layer_norm")
        self._self_attention_layer_norm.build(sequence_shape)
        self._feedforward_layer_norm = self._norm("feedforward_layer_norm")
        self._feedforward_layer_norm.build(sequence_shape)
{{/if}}
        self._self_attention_dropout = keras.layers.Dropout(
            rate=self.dropout, dtype=self.dtype_policy
        )
{{#if GATED}}
        self._feedforward_gate_dense = self._dense(
            self.intermediate_dim, "feedforward_gate_dense"
        )
        self._feedforward_gate_dense.build(sequence_shape)
{{/if}}
        self._feedforward_intermediate_dense = self._dense(
            self.intermediate_dim, "feedforward_intermediate_dense"
        )
        self._feedforward_intermediate_dense.build(sequence_shape)
        self._feedforward_output_dense = self._dense(
            self.hidden_dim, "feedforward_output_dense"
        )
        self._feedforward_output_dense.build(
            tuple(sequence_shape[:-1]) + (self.intermediate_dim,)
        )
        self.built = True

    def _mlp(self, x):
{{#if GATED}}
        gate = ops.cast(self._feedforward_gate_dense(x), "float32")
        gate = ops.cast(self.activation(gate), self.compute_dtype)
        return self._feedforward_output_dense(
            ops.multiply(self._feedforward_intermediate_dense(x), gate)
        )
{{#else}}
        return self._feedforward_output_dense(
            self.activation(self._feedforward_intermediate_dense(x))
        )
{{/if}}

{{#if ENCODER}}
    def call(self, inputs, padding_mask=None, attention_mask=None, training=None):
        mask = merge_padding_and_attention_mask(inputs, padding_mask, attention_mask)
        x = self._self_attention_layer(inputs, attention_mask=mask)
        x = self._self_attention_dropout(x, training=training)
        x = self._self_attention_layer_norm(inputs + x)
        return self._feedforward_layer_norm(x + self._mlp(x))
{{#else}}
    def call(
        self,
        decoder_sequence,
        decoder_padding_mask=None,
        decoder_attention_mask=None,
        self_attention_cache=None,
        self_attention_cache_update_index=None,
        training=None,
    ):
        mask = merge_padding_and_attention_mask(
            decoder_sequence, decoder_padding_mask, decoder_attention_mask
        )
        batch_size = ops.shape(decoder_sequence)[0]
        input_length = output_length = ops.shape(decoder_sequence)[1]
        if self_attention_cache is not None:
            input_length = ops.shape(self_attention_cache)[2]
        index = self_attention_cache_update_index or 0
        causal = compute_causal_mask(batch_size, input_length, output_length, index)
        mask = ops.minimum(mask, causal) if mask is not None else causal

        residual = decoder_sequence
{{#if RMS}}
        x = self._self_attention_layernorm(decoder_sequence)
{{#else}}
        x = self._self_attention_layer_norm(decoder_sequence)
{{/if}}
        x = self._self_attention_layer(
            hidden_states=x,
            attention_mask=mask,
            cache=self_attention_cache,
            cache_update_index=self_attention_cache_update_index,
        )
        if self_attention_cache is not None:
            x, self_attention_cache = x
        x = self._self_attention_dropout(x, training=training) + residual
{{#if RMS}}
        output = x + self._mlp(self._feedforward_layernorm(x))
{{#else}}
        output = x + self._mlp(self._feedforward_layer_norm(x))
{{/if}}
        if self_attention_cache is not None:
            return output, self_attention_cache
        return output
{{/if}}

    def compute_output_shape(self, sequence_shape):
        return sequence_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "intermediate_dim": self.intermediate_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads,
                "head_dim": self.head_dim,
{{#if ROPE}}
                "rope_max_wavelength": self.rope_max_wavelength,
                "rope_scaling_factor": self.rope_scaling_factor,
{{/if}}
                "activation": keras.activations.serialize(self.activation),
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "dropout": self.dropout,
            }
        )
        return config
