"""Project ideas and partner search (models arrive with the projects issue)."""
