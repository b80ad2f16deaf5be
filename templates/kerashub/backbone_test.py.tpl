import pytest
from keras import ops

from keras_hub.src.models.{{NAME}}.{{NAME}}_backbone import {{CLASS}}Backbone
from keras_hub.src.tests.test_case import TestCase


class {{CLASS}}BackboneTest(TestCase):
    def setUp(self):
        self.init_kwargs = {
            "vocabulary_size": 10,
            "num_layers": 2,
            "num_query_heads": {{Q}},
            "num_key_value_heads": {{K}},
            "hidden_dim": {{Q}} * 4,
            "intermediate_dim": 16,
            "head_dim": 4,
            "max_sequence_length": 16,
        }
        self.input_data = {
            "token_ids": ops.ones((2, 5), dtype="int32"),
{{#if ENCODER}}
            "segment_ids": ops.zeros((2, 5), dtype="int32"),
{{/if}}
            "padding_mask": ops.ones((2, 5), dtype="int32"),
        }

    def test_backbone_basics(self):
        self.run_backbone_test(
            cls={{CLASS}}Backbone,
            init_kwargs=self.init_kwargs,
            input_data=self.input_data,
{{#if ENCODER}}
            expected_output_shape={
                "sequence_output": (2, 5, {{Q}} * 4),
                "pooled_output": (2, {{Q}} * 4),
            },
{{#else}}
            expected_output_shape=(2, 5, {{Q}} * 4),
{{/if}}
        )

    @pytest.mark.large
    def test_saved_model(self):
        self.run_model_saving_test(
            cls={{CLASS}}Backbone,
            init_kwargs=self.init_kwargs,
            input_data=self.input_data,
        )
