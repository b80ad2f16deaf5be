"""{{CLASS}} model preset configurations."""

backbone_presets = {
    "{{NAME}}_base": {
        "metadata": {
            "description": (
                "{{L}}-layer {{CLASS}} model, converted from the Hugging Face "
                "'{{MODEL_TYPE}}' checkpoint."
            ),
            # TODO: the parameter count (`ckpt info` shows params_weights).
            "params": 0,
            "path": "{{NAME}}",
        },
        # TODO: the Kaggle handle the converted preset is uploaded to
        # (`ckpt convert hf://ORG/NAME -o DIR --to kerashub` writes it).
        "kaggle_handle": "kaggle://keras/{{NAME}}/keras/{{NAME}}_base/1",
    },
}
