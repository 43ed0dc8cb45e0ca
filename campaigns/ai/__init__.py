"""AI-written copy: generation jobs through the OpenAI SDK, suggestions, and the token quota."""
