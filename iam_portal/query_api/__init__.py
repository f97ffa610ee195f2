"""The AWS Query API adapter (IAM 2010-05-08, STS 2011-06-15): what boto3 and the AWS CLI speak.

views.py authenticates (SigV4) and dispatches, params.py decodes form members, actions.py maps each
action to one service or selector, render.py writes the XML.
"""
