// Runes mode everywhere (components also use $store syntax for svelte/store stores).
export default { compilerOptions: { runes: true } };
