from .joint_learning_classifier import JointLearningClassifier

__all__ = ['JointLearningClassifier']
