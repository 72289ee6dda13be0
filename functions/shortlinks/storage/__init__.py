"""DynamoDB adapter. The only package that imports pynamodb or botocore."""
