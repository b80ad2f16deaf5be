import keras
from keras import ops


class {{CLASS}}LayerNorm(keras.layers.Layer):
    """RMS normalization of the {{CLASS}} blocks (Hugging Face `{{NORM_EPS_KEY}}`
    = {{EPS}}): x / sqrt(mean(x^2) + epsilon) * scale, computed in float32."""

    def __init__(self, epsilon={{EPS}}, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        dim = input_shape[-1]
        self.scale = self.add_weight(
            name="scale",
            trainable=True,
            shape=(dim,),
            initializer="ones",
            dtype=self.variable_dtype,
        )
        self.built = True

    def call(self, x):
        x = ops.cast(x, "float32")
        var = ops.mean(ops.power(x, 2), axis=-1, keepdims=True)
        x = x * ops.rsqrt(var + self.epsilon)
        return ops.cast(x * self.scale, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config
