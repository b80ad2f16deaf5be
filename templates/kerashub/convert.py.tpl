"""Convert a Hugging Face {{MODEL_TYPE}} checkpoint to a {{CLASS}} KerasHub preset
and check that both give the same hidden states.

The weights are mapped by ckpt (its rules: {{NAME}}_rules.txt, or the
shipped preset:{{PRESET}}):

    ckpt check HF_DIR --map {{NAME}}_rules.txt --expect {{NAME}}_variables.txt
    ckpt convert HF_DIR -o PRESET_DIR --to kerashub

Usage:
    python convert_{{NAME}}_checkpoints.py --hf HF_DIR --preset PRESET_DIR
"""

import argparse

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hf", required=True, help="Hugging Face checkpoint folder")
    parser.add_argument("--preset", required=True, help="KerasHub preset folder")
    args = parser.parse_args()

    import keras_hub
    import torch
    import transformers

    from keras_hub.src.models.{{NAME}}.{{NAME}}_backbone import {{CLASS}}Backbone

    backbone = {{CLASS}}Backbone.from_preset(args.preset)
    hf_model = transformers.AutoModel.from_pretrained(args.hf)
    hf_model.eval()

    token_ids = np.array([[1, 2, 3, 4, 5, 6]], dtype="int32")
    padding_mask = np.ones_like(token_ids)
    inputs = {"token_ids": token_ids, "padding_mask": padding_mask}
{{#if ENCODER}}
    inputs["segment_ids"] = np.zeros_like(token_ids)
    keras_out = backbone(inputs)["sequence_output"]
{{#else}}
    keras_out = backbone(inputs)
{{/if}}
    with torch.no_grad():
        hf_out = hf_model(
            input_ids=torch.from_numpy(token_ids.astype("int64")),
            attention_mask=torch.from_numpy(padding_mask.astype("int64")),
        ).last_hidden_state.numpy()
    # TODO: the tolerance for this model's dtype (float32 checkpoints: 1e-4).
    np.testing.assert_allclose(np.asarray(keras_out), hf_out, atol=1e-4)
    print("hidden states match:", keras_hub.__version__)


if __name__ == "__main__":
    main()
