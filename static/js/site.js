// Progressive enhancement only: every page works without JavaScript.
// Marks the page as scripted so that fallback buttons ("find drives") can hide.
document.documentElement.classList.add("js");
