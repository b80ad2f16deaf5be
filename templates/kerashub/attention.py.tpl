import math

import keras
from keras import ops

{{#if ROPE}}
from keras_hub.src.layers.modeling.rotary_embedding import RotaryEmbedding
{{/if}}
{{#if ALIBI}}
from keras_hub.src.layers.modeling.alibi_bias import AlibiBias
{{/if}}
from keras_hub.src.utils.keras_utils import clone_initializer


class {{CLASS}}Attention(keras.layers.Layer):
    """{{CLASS}} self-attention ({{ATTN_DESC}}).

    Query heads: {{Q}}, key/value heads: {{K}}, head size: {{D}}.
    Keys and values are computed once per key/value head and repeated for
    the query heads that share them (`num_key_value_groups`).
    """

    def __init__(
        self,
        num_query_heads,
        num_key_value_heads,
        head_dim,
{{#if ROPE}}
        rope_max_wavelength={{THETA}},
        rope_scaling_factor={{ROPE_FACTOR}},
{{/if}}
        kernel_initializer="glorot_uniform",
        dropout=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_key_value_groups = num_query_heads // num_key_value_heads
        self.head_dim = head_dim
{{#if ROPE}}
        self.rope_max_wavelength = rope_max_wavelength
        self.rope_scaling_factor = rope_scaling_factor
{{/if}}
        self.dropout = dropout
        self.kernel_initializer = keras.initializers.get(
            clone_initializer(kernel_initializer)
        )

    def build(self, inputs_shape):
        # b = batch, q = query length, k = key length, m = model dim,
        # u = query heads, v = key/value heads, h = head dim
        hidden_dim = inputs_shape[-1]
        self._inv_norm_factor = 1.0 / math.sqrt(self.head_dim)
        self._query_dense = keras.layers.EinsumDense(
            equation="bqm,muh->bquh",
            output_shape=(None, self.num_query_heads, self.head_dim),
{{#if QKV_BIAS}}
            bias_axes="uh",
{{/if}}
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="query",
        )
        self._query_dense.build(inputs_shape)
        self._key_dense = keras.layers.EinsumDense(
            equation="bkm,mvh->bkvh",
            output_shape=(None, self.num_key_value_heads, self.head_dim),
{{#if QKV_BIAS}}
            bias_axes="vh",
{{/if}}
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="key",
        )
        self._key_dense.build(inputs_shape)
        self._value_dense = keras.layers.EinsumDense(
            equation="bkm,mvh->bkvh",
            output_shape=(None, self.num_key_value_heads, self.head_dim),
{{#if QKV_BIAS}}
            bias_axes="vh",
{{/if}}
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="value",
        )
        self._value_dense.build(inputs_shape)
        self._softmax = keras.layers.Softmax(
            axis=-1, dtype="float32", name="attention_softmax"
        )
        self._dropout_layer = keras.layers.Dropout(
            rate=self.dropout, dtype=self.dtype_policy
        )
        self._output_dense = keras.layers.EinsumDense(
            equation="bquh,uhm->bqm",
            output_shape=(None, hidden_dim),
{{#if OUT_BIAS}}
            bias_axes="m",
{{/if}}
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="attention_output",
        )
        self._output_dense.build(
            (None, None, self.num_query_heads, self.head_dim)
        )
{{#if ROPE}}
{{#if ROPE_SCALED}}
{{#if !ROPE_LINEAR}}
        # TODO: rope_scaling type '{{ROPE_TYPE}}' (factor {{ROPE_FACTOR}}) is not linear:
        # RotaryEmbedding only scales positions linearly; port the frequency rule.
{{/if}}
{{/if}}
        self.rotary_embedding_layer = RotaryEmbedding(
            max_wavelength=self.rope_max_wavelength,
            scaling_factor=self.rope_scaling_factor,
            dtype=self.dtype_policy,
        )
{{/if}}
{{#if ALIBI}}
        # TODO: check the ALiBi slopes against the Hugging Face implementation.
        self._alibi_bias = AlibiBias(dtype=self.dtype_policy)
{{/if}}
        self.built = True

    def call(
        self,
        hidden_states,
        attention_mask=None,
        cache=None,
        cache_update_index=None,
        training=None,
    ):
        start_index = 0 if cache_update_index is None else cache_update_index
        query = self._query_dense(hidden_states)
{{#if ROPE}}
        query = self.rotary_embedding_layer(query, start_index=start_index)
{{/if}}

        def _compute_key_value(x):
            key, value = self._key_dense(x), self._value_dense(x)
{{#if ROPE}}
            key = self.rotary_embedding_layer(key, start_index=start_index)
{{/if}}
            return key, value

        if cache is not None:
            key_cache, value_cache = cache[:, 0, ...], cache[:, 1, ...]
            if cache_update_index is None:
                key, value = key_cache, value_cache
            else:
                key_update, value_update = _compute_key_value(hidden_states)
                start = [0, cache_update_index, 0, 0]
                key = ops.slice_update(key_cache, start, key_update)
                value = ops.slice_update(value_cache, start, value_update)
                cache = ops.stack((key, value), axis=1)
        else:
            key, value = _compute_key_value(hidden_states)

        key = ops.repeat(key, repeats=self.num_key_value_groups, axis=2)
        value = ops.repeat(value, repeats=self.num_key_value_groups, axis=2)
        scores = ops.einsum("bquh,bkuh->buqk", query, key)
        scores = ops.multiply(
            scores, ops.cast(self._inv_norm_factor, self.compute_dtype)
        )
{{#if ALIBI}}
        scores = self._alibi_bias(scores)
{{/if}}
        if attention_mask is not None:
            scores = self._softmax(scores, attention_mask[:, None, :, :])
        else:
            scores = self._softmax(scores)
        scores = ops.cast(scores, self.compute_dtype)
        scores = self._dropout_layer(scores, training=training)
        output = ops.einsum("buqk,bkuh->bquh", scores, value)
        output = self._output_dense(output)
        if cache is not None:
            return output, cache
        return output

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads,
                "head_dim": self.head_dim,
{{#if ROPE}}
                "rope_max_wavelength": self.rope_max_wavelength,
                "rope_scaling_factor": self.rope_scaling_factor,
{{/if}}
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "dropout": self.dropout,
            }
        )
        return config
