# ckpt rules: Hugging Face {{MODEL_TYPE}} weights -> the {{CLASS}} scaffold's variables
# (the scaffold names its layers as KerasHub's closest backbone does; these
# are the rules of ckpt's preset:{{PRESET}}).
#   ckpt check HF_DIR --map {{NAME}}_rules.txt --expect {{NAME}}_variables.txt
#   ckpt convert HF_DIR -o out.safetensors --map {{NAME}}_rules.txt
{{#if !SAME_FAMILY}}
# TODO: the weight names are those of the closest family, not of '{{MODEL_TYPE}}':
# run the check above on a real checkpoint and fix the rules it reports.
{{/if}}
{{PRESET_RULES}}
