"""Starting the assistant's processes: the local stack (`make run`), the production mode and their supervisor."""
